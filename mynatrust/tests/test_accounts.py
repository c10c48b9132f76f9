from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from audit import tally
from audit.models import AuditEvent
from conftest import PASSWORD, make_user
from mynatrust.models import User

pytestmark = pytest.mark.django_db

AUDIENCES = [("subscriber", "registry"), ("recipient", "validity")]


def sign_up(client, ns: str, email: str = "new@example.jp"):
    return client.post(
        reverse(f"{ns}:signup"),
        {"email": email, "display_name": "新規 利用者", "password1": PASSWORD, "password2": PASSWORD},
    )


def confirmation_link(message) -> str:
    match = re.search(r"https?://[^/]+(/\S+/signup/confirm/\S+/)", message.body)
    assert match, message.body
    return match.group(1)


@pytest.mark.parametrize(("kind", "ns"), AUDIENCES)
def test_sign_up_confirm_and_log_in_each_in_its_own_area(client, kind, ns, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = sign_up(client, ns)
    assert response.status_code == 302
    user = User.objects.get(email="new@example.jp")
    assert user.kind == kind and not user.is_active
    assert len(mail.outbox) == 1 and "メールアドレスの確認" in mail.outbox[0].subject

    link = confirmation_link(mail.outbox[0])
    assert client.get(link).status_code == 200  # a GET only shows the button
    assert not User.objects.get(pk=user.pk).is_active
    client.post(link, {"password": PASSWORD})
    user.refresh_from_db()
    assert user.is_active and user.email_confirmed_at is not None
    assert client.post(link, {"password": PASSWORD}).status_code == 400  # the link works once

    response = client.post(reverse(f"{ns}:login"), {"username": "NEW@example.jp", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse(f"{ns}:home")).status_code == 200
    types = set(AuditEvent.objects.filter(subject_id=str(user.pk)).values_list("event_type", flat=True))
    assert {"auth.signup", "auth.email_confirmed", "auth.login"} <= types


def test_an_unconfirmed_account_cannot_log_in(client):
    sign_up(client, "registry")
    response = client.post(reverse("registry:login"), {"username": "new@example.jp", "password": PASSWORD})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(
    ("kind", "other_ns"), [("subscriber", "validity"), ("recipient", "registry"), ("staff", "registry")]
)
def test_an_account_signs_in_only_to_its_own_area(client, kind, other_ns):
    make_user(f"{kind}@example.jp", kind, is_staff=kind == "staff")
    response = client.post(reverse(f"{other_ns}:login"), {"username": f"{kind}@example.jp", "password": PASSWORD})
    assert response.status_code == 200
    assert "正しいメールアドレスとパスワードを入力してください" in response.content.decode()
    assert "_auth_user_id" not in client.session


# --- enumeration: sign-up answers the same whether or not the address has an account ----------------
@pytest.mark.parametrize("owner_kind", ["subscriber", "recipient", "staff"])
def test_sign_up_answers_the_same_for_an_address_with_an_account_and_mails_its_owner(
    client, owner_kind, django_capture_on_commit_callbacks
):
    owner = make_user(f"owner@{owner_kind}.example.jp", owner_kind, is_staff=owner_kind == "staff")
    with django_capture_on_commit_callbacks(execute=True):
        fresh = sign_up(client, "registry", email="fresh@example.jp")
        taken = sign_up(client, "registry", email=owner.email.upper())
    assert (taken.status_code, taken["Location"]) == (fresh.status_code, fresh["Location"])

    def page(url: str) -> str:
        return re.sub(r'(nonce|value)="[^"]+"', "", client.get(url).content.decode())  # per-request tokens

    assert page(taken["Location"]) == page(fresh["Location"])
    assert User.objects.filter(email__iexact=owner.email).count() == 1
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD) and owner.kind == owner_kind
    notice = mail.outbox[-1]
    assert notice.to == [owner.email]
    assert "既にアカウントがあります" in notice.subject
    assert "/signup/confirm/" not in notice.body  # nothing in it activates anything
    if owner_kind == "staff":
        assert "password-reset" not in notice.body
    else:
        assert "password-reset" in notice.body
    assert tally.flush(now=timezone.now() + timedelta(minutes=2)) >= 1
    assert AuditEvent.objects.filter(event_type="auth.signup_existing", data__to=owner.email).exists()


def test_sign_up_does_the_same_hashing_work_for_new_taken_and_limited_addresses(
    client, settings, subscriber_member, monkeypatch
):
    """The time an answer takes must not tell an address with an account from one without, limited
    or not: each answer hashes the typed password exactly once."""
    from django.contrib.auth.hashers import get_hasher

    hasher = type(get_hasher())
    calls: list[str] = []
    real = hasher.encode

    def counted(self, *args, **kwargs):
        calls.append("encode")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(hasher, "encode", counted)
    settings.MAIL_RATE_PER_ADDRESS = "1/3600"
    counts = []
    for email in ("fresh@example.jp", "fresh@example.jp", subscriber_member.email, subscriber_member.email):
        calls.clear()
        assert sign_up(client, "registry", email=email).status_code == 302
        counts.append(len(calls))
    assert counts == [1, 1, 1, 1]


def test_the_notice_to_an_existing_owner_is_rate_limited_like_every_mail(
    client, settings, subscriber_member, django_capture_on_commit_callbacks
):
    settings.MAIL_RATE_PER_ADDRESS = "2/3600"
    for _ in range(4):
        with django_capture_on_commit_callbacks(execute=True):
            assert sign_up(client, "registry", email=subscriber_member.email).status_code == 302
    assert len(mail.outbox) == 2


def test_a_sign_up_never_confirmed_in_the_other_area_does_not_block_the_owner(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        sign_up(client, "validity", email="victim@example.jp")  # squatted as a recipient, never confirmed
        sign_up(client, "registry", email="Victim@example.jp")  # the owner, as a subscriber
    user = User.objects.get(email="victim@example.jp")
    assert user.kind == "subscriber"
    client.post(confirmation_link(mail.outbox[-1]), {"password": PASSWORD})
    user.refresh_from_db()
    assert user.is_active


# --- the confirmation step asks for the password -----------------------------------------------------
def test_confirming_an_address_needs_the_password_chosen_at_sign_up(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        sign_up(client, "registry")
    link = confirmation_link(mail.outbox[0])
    page = client.get(link).content.decode()
    assert 'type="password"' in page and 'autocomplete="current-password"' in page
    for wrong in ({}, {"password": "not-the-password-2026"}):
        response = client.post(link, wrong)
        assert response.status_code == 200
        assert 'role="alert"' in response.content.decode() or "errorlist" in response.content.decode()
        assert not User.objects.get(email="new@example.jp").is_active
    assert client.post(link, {"password": PASSWORD}).status_code == 302
    assert User.objects.get(email="new@example.jp").is_active
    tally.flush(now=timezone.now() + timedelta(minutes=2))
    failed = AuditEvent.objects.filter(event_type="auth.email_confirmation_failed")
    assert [e.data["reason"] for e in failed] == ["wrong_password"]
    assert failed[0].data["count"] == 1  # a form without a password is a refused form, not a guess


def test_wrong_passwords_at_confirmation_count_towards_the_account_lockout(
    client, settings, django_capture_on_commit_callbacks
):
    settings.ACCOUNT_FAILURE_LIMIT = 3
    with django_capture_on_commit_callbacks(execute=True):
        sign_up(client, "registry")
    link = confirmation_link(mail.outbox[0])
    for _ in range(3):
        client.post(link, {"password": "guess-guess-guess"})
    assert client.post(link, {"password": PASSWORD}).status_code == 200  # locked: even the right one
    assert not User.objects.get(email="new@example.jp").is_active


def test_a_weak_password_is_refused_with_a_japanese_message(client):
    response = client.post(
        reverse("registry:signup"),
        {"email": "x@example.jp", "display_name": "x", "password1": "12345678", "password2": "12345678"},
    )
    assert response.status_code == 200
    assert "短すぎ" in response.content.decode() or "数字だけ" in response.content.decode()
    assert not User.objects.filter(email="x@example.jp").exists()


def test_password_reset_mails_only_accounts_of_that_area(client, subscriber_member, recipient):
    client.post(reverse("validity:password_reset"), {"email": subscriber_member.email})
    assert mail.outbox == []
    client.post(reverse("registry:password_reset"), {"email": subscriber_member.email})
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/app/password-reset/\S+/)", str(mail.outbox[0].body))
    assert link
    form_page = client.get(link.group(1), follow=True)
    new_password = "another-long-passphrase-99"
    client.post(form_page.redirect_chain[-1][0], {"new_password1": new_password, "new_password2": new_password})
    subscriber_member.refresh_from_db()
    assert subscriber_member.check_password(new_password)


def test_logout_needs_a_post(client, subscriber_member):
    client.force_login(subscriber_member)
    response = client.get(reverse("registry:logout"))
    assert response.status_code == 405
    assert "この操作はできません" in response.content.decode()
    client.post(reverse("registry:logout"))
    assert "_auth_user_id" not in client.session


# --- lockout -----------------------------------------------------------------------------------
def test_repeated_failures_lock_the_account_until_the_cool_off(client, settings, subscriber_member):
    url = reverse("registry:login")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(url, {"username": subscriber_member.email, "password": "wrong-password"})
    response = client.post(url, {"username": subscriber_member.email, "password": PASSWORD})
    assert response.status_code == 429
    assert "一時的に制限" in response.content.decode()
    assert "_auth_user_id" not in client.session
    tally.flush(now=timezone.now() + timedelta(minutes=2))
    failed = AuditEvent.objects.filter(event_type="auth.login_failed")
    assert sum(e.data["count"] for e in failed) >= settings.AXES_FAILURE_LIMIT

    with time_machine.travel(timezone.now() + settings.AXES_COOLOFF_TIME + timedelta(minutes=1)):
        response = client.post(url, {"username": subscriber_member.email, "password": PASSWORD})
        assert response.status_code == 302


def test_a_lockout_is_per_account_and_address_not_global(client, settings, subscriber_member, other_subscriber_member):
    url = reverse("registry:login")
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        client.post(url, {"username": subscriber_member.email, "password": "wrong-password"})
    response = client.post(url, {"username": other_subscriber_member.email, "password": PASSWORD})
    assert response.status_code == 302


def test_the_lockout_uses_the_client_address_the_proxy_saw(client, settings, subscriber_member):
    settings.TRUSTED_PROXY_COUNT = 1
    url = reverse("registry:login")
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        client.post(url, {"username": subscriber_member.email, "password": "x"}, HTTP_X_FORWARDED_FOR="203.0.113.9")
    # The same account from another client behind the same proxy is not locked out.
    response = client.post(
        url, {"username": subscriber_member.email, "password": PASSWORD}, HTTP_X_FORWARDED_FOR="198.51.100.7"
    )
    assert response.status_code == 302


def test_the_staff_admin_login_locks_out_too(client, settings, staff_by_role):
    auditor = staff_by_role["auditor"]
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("admin:login"), {"username": auditor.email, "password": "wrong"})
    response = client.post(reverse("admin:login"), {"username": auditor.email, "password": PASSWORD})
    assert response.status_code == 429


# --- confirmation links ---------------------------------------------------------------------------
def test_the_confirmation_link_lives_for_email_confirmation_timeout_not_the_reset_timeout(
    client, settings, django_capture_on_commit_callbacks
):
    settings.PASSWORD_RESET_TIMEOUT = 60 * 60
    settings.EMAIL_CONFIRMATION_TIMEOUT = 60 * 60 * 24 * 3
    with django_capture_on_commit_callbacks(execute=True):
        sign_up(client, "registry")
    link = confirmation_link(mail.outbox[0])
    with time_machine.travel(timezone.now() + timedelta(days=4)):
        assert client.post(link, {"password": PASSWORD}).status_code == 400  # past EMAIL_CONFIRMATION_TIMEOUT
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        assert client.post(link, {"password": PASSWORD}).status_code == 302  # past PASSWORD_RESET_TIMEOUT, still valid
    assert User.objects.get(email="new@example.jp").is_active


def test_whoever_pre_registered_an_address_cannot_keep_it_once_its_owner_signs_up(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("registry:signup"),
            {
                "email": "victim@example.jp",
                "display_name": "攻撃 者",
                "password1": "attacker-password-2026",
                "password2": "attacker-password-2026",
            },
        )
    attackers_link = confirmation_link(mail.outbox[-1])
    with django_capture_on_commit_callbacks(execute=True):
        response = sign_up(client, "registry", email="Victim@example.jp")
    assert response.status_code == 302  # the owner's sign-up replaces the pending one
    owners_link = confirmation_link(mail.outbox[-1])
    assert client.post(attackers_link, {"password": "attacker-password-2026"}).status_code == 400
    assert client.post(owners_link, {"password": PASSWORD}).status_code == 302
    assert User.objects.filter(email="victim@example.jp").count() == 1
    response = client.post(reverse("registry:login"), {"username": "victim@example.jp", "password": PASSWORD})
    assert response.status_code == 302
    client.logout()
    response = client.post(
        reverse("registry:login"), {"username": "victim@example.jp", "password": "attacker-password-2026"}
    )
    assert response.status_code == 200


def test_an_owner_who_confirms_a_link_they_did_not_ask_for_does_not_activate_the_other_registration(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("registry:signup"),
            {
                "email": "victim@example.jp",
                "display_name": "攻撃 者",
                "password1": "attacker-password-2026",
                "password2": "attacker-password-2026",
            },
        )
    link = confirmation_link(mail.outbox[-1])
    # The owner opens the mail and presses the button with the password they would use.
    assert client.post(link, {"password": PASSWORD}).status_code == 200
    assert not User.objects.get(email="victim@example.jp").is_active
