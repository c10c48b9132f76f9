"""The mails visitors and members can make the service send are limited per target address, per
signed-in account and per client address, in the shared cache. A refused mail is not sent, is an
audit event counted per minute, and the visitor gets the same answer as when it is sent. While the
cache cannot be reached no such mail goes out (fail closed)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from audit import tally
from audit.models import AuditEvent
from conftest import PASSWORD, make_user, suitable
from mynatrust import staff
from mynatrust.models import User
from mynatrust.roles import Role

pytestmark = pytest.mark.django_db

REDIS_URL = "redis://127.0.0.1:6379/7"


@pytest.fixture(autouse=True)
def redis_cache(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        }
    }
    settings.MAIL_RATE_PER_ADDRESS = "100/3600"
    settings.MAIL_RATE_PER_ACCOUNT = "100/3600"
    settings.MAIL_RATE_PER_CLIENT = "100/3600"


@pytest.fixture
def redis_down(settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    }


def throttled() -> list[AuditEvent]:
    tally.flush(now=timezone.now() + timedelta(minutes=2))
    return list(AuditEvent.objects.filter(event_type="mail.throttled").order_by("id"))


def sign_up(client, email: str, ip: str = "203.0.113.1"):
    return client.post(
        reverse("registry:signup"),
        {"email": email, "display_name": "新規 利用者", "password1": PASSWORD, "password2": PASSWORD},
        REMOTE_ADDR=ip,
    )


def test_sign_up_mails_to_one_address_are_limited_whatever_its_spelling_and_client(
    client, settings, django_capture_on_commit_callbacks
):
    settings.MAIL_RATE_PER_ADDRESS = "2/3600"
    answers = []
    for i, spelling in enumerate(["victim@example.jp", "VICTIM@example.jp", "ｖｉｃｔｉｍ@example.jp"]):
        with django_capture_on_commit_callbacks(execute=True):
            answers.append(sign_up(client, spelling, ip=f"198.51.100.{i + 1}"))
    assert [(r.status_code, r["Location"]) for r in answers] == [(302, reverse("registry:signup_sent"))] * 3
    assert len(mail.outbox) == 2
    [event] = throttled()
    assert event.data["kind"] == "signup" and event.data["to"] == "victim@example.jp"
    assert event.data["reason"] == "rate_limited" and event.data["count"] == 1


def test_sign_up_mails_from_one_client_address_are_limited(client, settings, django_capture_on_commit_callbacks):
    settings.MAIL_RATE_PER_CLIENT = "2/3600"
    for i in range(4):
        with django_capture_on_commit_callbacks(execute=True):
            assert sign_up(client, f"person{i}@example.jp").status_code == 302
    assert len(mail.outbox) == 2
    with django_capture_on_commit_callbacks(execute=True):
        sign_up(client, "someone-else@example.jp", ip="192.0.2.44")
    assert len(mail.outbox) == 3
    assert [e.data["count"] for e in throttled()] == [1, 1]  # one window per target address


def test_password_reset_mails_are_limited_per_address_with_the_same_answer(client, settings, subscriber_member):
    settings.MAIL_RATE_PER_ADDRESS = "2/3600"
    answers = [
        client.post(reverse("registry:password_reset"), {"email": subscriber_member.email.upper()}, REMOTE_ADDR=ip)
        for ip in ("198.51.100.1", "198.51.100.2", "198.51.100.3")
    ]
    assert {(r.status_code, r["Location"]) for r in answers} == {(302, reverse("registry:password_reset_done"))}
    assert len(mail.outbox) == 2
    assert [e.data["kind"] for e in throttled()] == ["password_reset"]


def test_reset_requests_for_unknown_addresses_count_against_the_client_too(client, settings, subscriber_member):
    settings.MAIL_RATE_PER_CLIENT = "2/3600"
    for i in range(2):
        client.post(reverse("registry:password_reset"), {"email": f"nobody{i}@example.jp"})
    client.post(reverse("registry:password_reset"), {"email": subscriber_member.email})
    assert mail.outbox == []


def test_member_invitations_are_limited_per_inviting_account(client, settings, django_capture_on_commit_callbacks):
    from registry.models import Invitation
    from registry.tests.conftest import apply

    settings.MAIL_RATE_PER_ACCOUNT = "2/3600"
    applicant = make_user("applicant@subscriber.example.jp", "subscriber")
    apply(applicant)  # an applicant not yet approved: the case the limit is for
    client.force_login(applicant)
    mail.outbox.clear()
    pages = []
    for i in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            pages.append(client.post(reverse("registry:members"), {"email": f"friend{i}@example.jp"}, follow=True))
    assert len(mail.outbox) == 2
    assert Invitation.objects.count() == 2
    refused = pages[-1].content.decode()
    assert "しばらくしてから" in refused
    # Recorded once, counted per minute like every refused mail (not one row per refusal).
    assert [e.data["kind"] for e in throttled()] == ["member_invitation"]
    assert not AuditEvent.objects.filter(event_type="registry.member.invite_refused").exists()


def test_staff_invitations_are_limited_per_address(settings, service_manager, django_capture_on_commit_callbacks):
    settings.MAIL_RATE_PER_ADDRESS = "2/3600"
    with django_capture_on_commit_callbacks(execute=True):
        member = staff.appoint_staff(
            "new@staff.example.jp",
            Role.SERVICE_OPERATOR,
            actor=service_manager,
            display_name="新任 職員",
            suitability=suitable(service_manager, "新任 職員", "service_operator"),
        )
        staff.reset_second_factor(member, actor=service_manager, reason="端末紛失")
    with pytest.raises(staff.StaffError) as exc:
        staff.reset_second_factor(member, actor=service_manager, reason="端末紛失")
    assert "しばらくしてから" in exc.value.message
    assert len(mail.outbox) == 2
    assert [e.data["kind"] for e in throttled()] == ["staff_invitation"]
    assert AuditEvent.objects.filter(event_type="staff.second_factor_reset_refused").count() == 1


def test_while_the_cache_is_unreachable_no_mail_goes_out_and_the_answer_is_the_same(
    client, redis_down, subscriber_member, service_manager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        signed_up = sign_up(client, "new@example.jp")
        reset = client.post(reverse("registry:password_reset"), {"email": subscriber_member.email})
    assert signed_up["Location"] == reverse("registry:signup_sent")
    assert reset["Location"] == reverse("registry:password_reset_done")
    check = suitable(service_manager, "新任 職員", "service_operator")
    with pytest.raises(staff.StaffError):
        staff.appoint_staff(
            "new@staff.example.jp",
            Role.SERVICE_OPERATOR,
            actor=service_manager,
            display_name="新任 職員",
            suitability=check,
        )
    assert mail.outbox == []
    assert not User.objects.filter(email__in=["new@example.jp", "new@staff.example.jp"]).exists()
    assert {(e.data["kind"], e.data["reason"]) for e in throttled()} == {
        ("signup", "cache_unavailable"),
        ("password_reset", "cache_unavailable"),
        ("staff_invitation", "cache_unavailable"),
    }


def test_a_mail_rate_that_does_not_read_as_a_rate_fails_the_checks(settings):
    from mynatrust.checks import mail_rates

    assert mail_rates(None) == []
    settings.MAIL_RATE_PER_CLIENT = "thirty an hour"
    assert [e.id for e in mail_rates(None)] == ["mynatrust.E016"]


def test_an_unreachable_cache_is_a_warning_on_healthz(client, redis_down):
    response = client.get("/healthz")
    assert response.status_code == 200  # every host shares it: no host is taken out for it
    assert response.json()["checks"]["rate_limit_cache"] == "warn"
