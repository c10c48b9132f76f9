"""The lockout holds whatever the spelling of the address (case, full-width letters) and whatever
the client address: django-axes counts the canonical address per client address, the per-account
counter counts every failure to the account."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from audit import tally
from audit.models import AuditEvent
from conftest import PASSWORD, make_staff, make_user
from mynatrust.lib.email_address import canonical_email

pytestmark = pytest.mark.django_db

REDIS_URL = "redis://127.0.0.1:6379/7"


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def spellings(email: str) -> list[str]:
    local, _, domain = email.partition("@")
    return [
        email.upper(),
        local[:1].upper() + local[1:] + "@" + domain,
        "".join(c.upper() if i % 2 else c for i, c in enumerate(email)),
        full_width(email),
        full_width(email.upper()),
        " " + email.title() + " ",
    ]


@pytest.fixture(params=["redis", "database"])
def shared_cache(request, settings):
    if request.param == "redis":
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": REDIS_URL,
                "KEY_PREFIX": f"test-{uuid.uuid4().hex}",
            }
        }
    return request.param


AUDIENCES = [
    ("subscriber", "registry:login"),
    ("recipient", "validity:login"),
    ("staff", "admin:login"),
]


def account(kind: str):
    if kind == "staff":
        return make_staff("auditor", "victim@staff.example.jp")
    return make_user(f"victim@{kind}.example.jp", kind)


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.parametrize(("kind", "url_name"), AUDIENCES)
def test_every_spelling_of_the_address_counts_towards_one_lockout(client, settings, shared_cache, kind, url_name):
    user = account(kind)
    url = reverse(url_name)
    tries = spellings(user.email)
    for i in range(settings.AXES_FAILURE_LIMIT):
        client.post(url, {"username": tries[i % len(tries)], "password": "wrong-password"})
    for spelling in [user.email, *tries]:
        response = client.post(url, {"username": spelling, "password": PASSWORD})
        assert response.status_code == 429, spelling
        assert not signed_in(client)


@pytest.mark.parametrize(("kind", "url_name"), AUDIENCES)
def test_a_full_width_or_upper_case_address_signs_in(client, kind, url_name):
    user = account(kind)
    for spelling in (full_width(user.email), user.email.upper()):
        response = client.post(reverse(url_name), {"username": spelling, "password": PASSWORD})
        assert response.status_code == 302, spelling
        assert client.session["_auth_user_id"] == str(user.pk)
        client.logout()


@pytest.mark.parametrize(("kind", "url_name"), AUDIENCES)
def test_failures_spread_over_client_addresses_and_spellings_lock_the_account(
    client, settings, shared_cache, kind, url_name
):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.ACCOUNT_FAILURE_LIMIT = 8
    user = account(kind)
    url = reverse(url_name)
    tries = spellings(user.email)
    # Each client address stays below django-axes' limit; the account's own counter does not.
    for i in range(settings.ACCOUNT_FAILURE_LIMIT):
        client.post(
            url,
            {"username": tries[i % len(tries)], "password": "wrong"},
            HTTP_X_FORWARDED_FOR=f"203.0.113.{i}",
        )
    response = client.post(url, {"username": user.email, "password": PASSWORD}, HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert response.status_code == 429
    assert not signed_in(client)
    tally.flush(now=timezone.now() + timedelta(minutes=2))
    assert AuditEvent.objects.filter(event_type="auth.locked_out", data__scope="account").exists()


def test_the_account_counter_leaves_other_accounts_alone(client, settings, shared_cache):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.ACCOUNT_FAILURE_LIMIT = 3
    victim = make_user("victim@subscriber.example.jp", "subscriber")
    other = make_user("other@subscriber.example.jp", "subscriber")
    url = reverse("registry:login")
    for i in range(5):
        client.post(url, {"username": victim.email, "password": "wrong"}, HTTP_X_FORWARDED_FOR=f"203.0.113.{i}")
    response = client.post(url, {"username": other.email, "password": PASSWORD}, HTTP_X_FORWARDED_FOR="203.0.113.99")
    assert response.status_code == 302


def test_unknown_addresses_are_counted_like_known_ones(client, settings, shared_cache):
    """The lockout page does not tell which addresses have an account."""
    settings.AXES_FAILURE_LIMIT = 100
    settings.ACCOUNT_FAILURE_LIMIT = 3
    url = reverse("registry:login")
    statuses = [client.post(url, {"username": "nobody@example.jp", "password": "wrong"}).status_code for _ in range(4)]
    assert statuses == [200, 200, 429, 429]


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("Victim@Example.JP", "victim@example.jp"),
        ("ｖｉｃｔｉｍ＠ｅｘａｍｐｌｅ．ｊｐ", "victim@example.jp"),
        ("  VICTIM@example.jp\u3000", "victim@example.jp"),
        # Capital sharp s folds to "ss" like its lower-case form.
        ("STRAẞE@example.jp", "strasse@example.jp"),
        ("", ""),
        (None, ""),
    ],
)
def test_canonical_email(typed, key):
    assert canonical_email(typed) == key


def test_sign_up_with_a_full_width_spelling_of_a_known_address_makes_no_second_account(client, subscriber_member):
    # Sign-up answers alike for a taken address (no enumeration): the full-width spelling is the same
    # key, so no second account appears under any spelling and the owner's account is untouched.
    response = client.post(
        reverse("registry:signup"),
        {
            "email": full_width(subscriber_member.email.upper()),
            "display_name": "攻撃 者",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert response.status_code == 302
    users = type(subscriber_member).objects
    assert not users.filter(email__contains="＠").exists()
    assert users.filter(email__iexact=subscriber_member.email).count() == 1


def test_a_password_reset_through_the_mailbox_ends_the_account_lockout(client, settings, shared_cache):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.ACCOUNT_FAILURE_LIMIT = 3
    user = make_user("victim@subscriber.example.jp", "subscriber")
    url = reverse("registry:login")
    for i in range(3):
        client.post(url, {"username": user.email, "password": "wrong"}, HTTP_X_FORWARDED_FOR=f"203.0.113.{i}")
    assert client.post(url, {"username": user.email, "password": PASSWORD}).status_code == 429
    client.post(reverse("registry:password_reset"), {"email": user.email})
    found = re.search(r"https?://[^/]+(/\S+/password-reset/\S+/)", str(mail.outbox[-1].body))
    assert found
    link = found.group(1)
    form_url = client.get(link).url
    new_password = "a-new-password-from-the-mailbox-7"
    response = client.post(form_url, {"new_password1": new_password, "new_password2": new_password})
    assert response.status_code == 302
    response = client.post(url, {"username": user.email, "password": new_password}, HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert response.status_code == 302
