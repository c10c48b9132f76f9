"""Staff onboarding by a one-time invitation link: the new member sets their own password and
enrols their own second factor; the service manager never holds either. A lost second factor is
reset by a second person and re-enrolled through a new link."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import AuditEvent
from conftest import PASSWORD, make_staff, otp_login, suitable
from mynatrust import staff
from mynatrust.models import StaffInvitation, User
from mynatrust.roles import Role

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "my-own-secret-passphrase-2026"


def code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def found(pattern: str, text: str) -> str:
    match = re.search(pattern, text)
    assert match, pattern
    return match.group(match.lastindex or 0)


def link_in_mail(to: str) -> str:
    [message] = [m for m in mail.outbox if to in m.to]
    return found(r"https?://\S+/invitation/\S+/", str(message.body))


def path_of(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def appoint(manager, email="new@staff.example.jp"):
    check = suitable(manager, "新任 職員", "service_operator")
    return staff.appoint_staff(email, Role.SERVICE_OPERATOR, actor=manager, display_name="新任 職員", suitability=check)


def test_the_manager_appoints_without_a_password_and_the_link_goes_only_to_the_new_member(
    client, service_manager, django_capture_on_commit_callbacks
):
    otp_login(client, service_manager)
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(
            reverse("admin:mynatrust_user_appoint"),
            {
                "email": "new@staff.example.jp",
                "display_name": "新任 職員",
                "role": "service_operator",
                "suitability": suitable(service_manager, "新任 職員", "service_operator").pk,
            },
        )
        confirmation = found(r'name="confirmation" value="([^"]+)"', page.content.decode())
        response = client.post(reverse("admin:mynatrust_user_appoint"), {"confirmation": confirmation}, follow=True)
    user = User.objects.get(email="new@staff.example.jp")
    assert not user.has_usable_password()
    link = link_in_mail("new@staff.example.jp")
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert token not in response.content.decode()  # the manager never sees the link
    assert StaffInvitation.objects.get().token_sha256 != token  # only its digest is kept
    assert AuditEvent.objects.filter(event_type="staff.invitation_sent", subject_id=str(user.pk)).exists()


def test_the_new_member_sets_a_password_and_enrols_in_the_same_session(
    client, service_manager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        user = appoint(service_manager)
    link = path_of(link_in_mail(user.email))
    page = client.get(link)
    assert page.status_code == 200 and "パスワード（確認）" in page.content.decode()
    response = client.post(link, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response["Location"] == reverse("admin:otp_setup")
    setup = client.get(reverse("admin:otp_setup")).content.decode()
    secret = found(r'id="totp-secret">(\w+)<', setup)
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    # Only the session that made the secret sees it, and only once: a reload makes a new one.
    again = client.get(reverse("admin:otp_setup")).content.decode()
    assert secret not in again
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    client.post(reverse("admin:otp_setup"), {"token": code(device)})
    assert client.get(reverse("admin:index")).status_code == 200
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    types = set(AuditEvent.objects.filter(subject_id=str(user.pk)).values_list("event_type", flat=True))
    assert {"staff.invitation_accepted", "auth.otp_enrolled"} <= types


def test_another_session_never_sees_the_pending_secret(client, service_manager, django_capture_on_commit_callbacks):
    from django.test import Client

    with django_capture_on_commit_callbacks(execute=True):
        user = appoint(service_manager)
    link = path_of(link_in_mail(user.email))
    client.post(link, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    client.get(reverse("admin:otp_setup"))
    # Someone else who learns the password signs in elsewhere: no secret, no enrolment.
    other = Client()
    other.post(reverse("admin:login"), {"username": user.email, "password": NEW_PASSWORD})
    page = other.get(reverse("admin:otp_setup"))
    assert page.status_code == 403 and "totp-secret" not in page.content.decode()
    assert other.post(reverse("admin:otp_setup"), {"token": "123456"}).status_code == 403
    assert not TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def test_a_link_works_once_and_not_after_it_expires(client, service_manager, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        user = appoint(service_manager)
        second = appoint(service_manager, "late@staff.example.jp")
    link = path_of(link_in_mail(user.email))
    client.post(link, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    from django.test import Client

    assert Client().get(link).status_code == 404  # used
    StaffInvitation.objects.filter(user=second).update(expires_at=timezone.now() - timedelta(seconds=1))
    late = Client().get(path_of(link_in_mail(second.email)))
    assert late.status_code == 404 and "無効" in late.content.decode()
    assert Client().get("/staff-admin/invitation/not-a-token/").status_code == 404
    from audit import tally

    tally.flush(now=timezone.now() + timedelta(minutes=2))
    reasons = {e.data["reason"] for e in AuditEvent.objects.filter(event_type="staff.invitation_refused")}
    assert reasons == {"used", "expired", "unknown"}


def test_a_weak_or_mistyped_password_is_refused_and_the_link_stays_usable(
    client, service_manager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        user = appoint(service_manager)
    link = path_of(link_in_mail(user.email))
    assert client.post(link, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD + "x"}).status_code == 200
    assert client.post(link, {"password1": "12345678", "password2": "12345678"}).status_code == 200
    assert StaffInvitation.objects.get().used_at is None
    assert client.post(link, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}).status_code == 302


def test_a_lost_second_factor_is_reset_by_a_second_person_and_re_enrolled_with_the_password(
    client, service_manager, django_capture_on_commit_callbacks
):
    operator = make_staff("service_operator", "op@staff.example.jp")
    old = TOTPDevice.objects.get(user=operator)
    with pytest.raises(staff.StaffError):
        staff.reset_second_factor(service_manager, actor=service_manager, reason="紛失")  # never one's own
    with pytest.raises(staff.StaffError):
        staff.reset_second_factor(operator, actor=service_manager, reason=" ")  # a reason is required
    other = make_staff("auditor", "aud@staff.example.jp")
    with pytest.raises(staff.StaffError):
        staff.reset_second_factor(operator, actor=other, reason="紛失")  # only the service manager
    assert TOTPDevice.objects.filter(pk=old.pk).exists()
    with django_capture_on_commit_callbacks(execute=True):
        staff.reset_second_factor(operator, actor=service_manager, reason="スマートフォンの紛失")
    assert not TOTPDevice.objects.filter(user=operator).exists()
    link = path_of(link_in_mail(operator.email))
    page = client.get(link).content.decode()
    assert "現在のパスワード" in page
    assert client.post(link, {"password1": PASSWORD}).status_code == 302
    client.get(reverse("admin:otp_setup"))
    device = TOTPDevice.objects.get(user=operator, confirmed=False)
    client.post(reverse("admin:otp_setup"), {"token": code(device)})
    assert client.get(reverse("admin:index")).status_code == 200
    reset = AuditEvent.objects.get(event_type="staff.second_factor_reset")
    assert (reset.actor_id, reset.data["reason"]) == (str(service_manager.pk), "スマートフォンの紛失")
    assert AuditEvent.objects.filter(event_type="staff.second_factor_reset_refused").count() == 3


def test_a_wrong_password_on_a_re_enrolment_link_ends_the_link(
    client, service_manager, django_capture_on_commit_callbacks
):
    operator = make_staff("service_operator", "op@staff.example.jp")
    with django_capture_on_commit_callbacks(execute=True):
        staff.reset_second_factor(operator, actor=service_manager, reason="紛失")
    link = path_of(link_in_mail(operator.email))
    assert client.post(link, {"password1": "guess-guess-guess"}).status_code == 400
    assert client.post(link, {"password1": PASSWORD}).status_code == 404
    assert not TOTPDevice.objects.filter(user=operator).exists()


def test_the_first_service_manager_gets_an_enrolment_link_on_the_host(monkeypatch, client):
    import io

    from django.core.management import call_command

    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    out = io.StringIO()
    call_command("staff_bootstrap", "first@staff.example.jp", "--password-stdin", stdout=out)
    link = path_of(found(r"https?://\S+/invitation/\S+/", out.getvalue()))
    assert not mail.outbox
    assert client.post(link, {"password1": PASSWORD}).status_code == 302
    assert client.get(reverse("admin:otp_setup")).status_code == 200
