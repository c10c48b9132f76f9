from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import AuditEvent
from conftest import PASSWORD, decide, make_staff, make_user, otp_login, suitable
from mynatrust import staff
from mynatrust.models import User
from mynatrust.roles import Role

pytestmark = pytest.mark.django_db


def current_code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def admin_login(client, email: str, password: str = PASSWORD):
    return client.post(reverse("admin:login"), {"username": email, "password": password})


# --- second factor -----------------------------------------------------------------------------
def test_a_staff_password_alone_does_not_open_the_admin(client):
    make_staff("auditor", "a@staff.example.jp")
    response = admin_login(client, "a@staff.example.jp")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:otp_verify"))
    assert client.get(reverse("admin:index")).status_code == 302


def test_a_correct_totp_code_opens_the_admin_and_is_recorded(client):
    user = make_staff("auditor", "a@staff.example.jp")
    device = TOTPDevice.objects.get(user=user)
    admin_login(client, user.email)
    response = client.post(reverse("admin:otp_verify"), {"token": current_code(device)})
    assert response.status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200
    assert AuditEvent.objects.filter(event_type="auth.otp_verified", subject_id=str(user.pk)).exists()


def test_a_wrong_totp_code_is_refused_and_recorded(client):
    user = make_staff("auditor", "a@staff.example.jp")
    admin_login(client, user.email)
    response = client.post(reverse("admin:otp_verify"), {"token": "000000"})
    assert response.status_code == 200
    assert "確認コードが正しくない" in response.content.decode()
    assert client.get(reverse("admin:index")).status_code == 302
    assert AuditEvent.objects.filter(event_type="auth.otp_failed").exists()


def test_staff_without_a_device_cannot_enrol_one_with_the_password_alone(client):
    """Whoever knows the password (a manager who set it, once) must not enrol an authenticator."""
    user = make_staff("reception", "r@staff.example.jp", with_device=False)
    response = admin_login(client, user.email)
    assert response["Location"].startswith(reverse("admin:otp_setup"))
    page = client.get(reverse("admin:otp_setup"))
    assert page.status_code == 403
    assert "data:image/svg+xml;base64," not in page.content.decode()
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert client.get(reverse("admin:index")).status_code == 302


@pytest.mark.parametrize("kind", ["subscriber", "recipient"])
def test_subscribers_and_recipients_can_never_sign_in_to_the_admin(client, kind):
    make_user(f"{kind}@example.jp", kind)
    response = admin_login(client, f"{kind}@example.jp")
    assert response.status_code == 200  # the form again, with an error
    assert client.get(reverse("admin:otp_setup")).status_code == 302
    assert client.get(reverse("admin:index")).status_code == 302


# --- role rules --------------------------------------------------------------------------------
def test_the_service_manager_appoints_staff_with_exactly_one_role(service_manager):
    check = suitable(service_manager, "新任 受付", "reception")
    user = staff.appoint_staff(
        "new@staff.example.jp", Role.RECEPTION, actor=service_manager, display_name="新任 受付", suitability=check
    )
    assert user.staff_role == Role.RECEPTION
    assert user.groups.count() == 1
    event = AuditEvent.objects.get(event_type="staff.appointed", subject_id=str(user.pk))
    assert event.data["role"] == "reception"
    assert event.actor_id == str(service_manager.pk)


@pytest.mark.parametrize("role", [r for r in Role if r != Role.SERVICE_MANAGER])
def test_only_the_service_manager_may_appoint(role):
    actor = make_staff(role.value, f"{role.value}@x.example.jp")
    with pytest.raises(staff.StaffError):
        staff.appoint_staff("new@staff.example.jp", Role.AUDITOR, actor=actor)
    assert not User.objects.filter(email="new@staff.example.jp").exists()
    assert AuditEvent.objects.filter(event_type="staff.appoint_refused", actor_id=str(actor.pk)).exists()


def test_nobody_changes_their_own_role(service_manager):
    with pytest.raises(staff.StaffError):
        staff.change_role(service_manager, Role.AUDITOR, actor=service_manager)
    assert service_manager.staff_role == Role.SERVICE_MANAGER
    assert AuditEvent.objects.filter(event_type="staff.role_change_refused").exists()


def test_a_role_change_and_a_dismissal_are_recorded(service_manager):
    target = make_staff("reception", "r@staff.example.jp")
    check = suitable(service_manager, target.display_name, "service_operator")
    staff.change_role(target, Role.SERVICE_OPERATOR, actor=service_manager, suitability=check)
    assert User.objects.get(pk=target.pk).staff_role == Role.SERVICE_OPERATOR
    staff.dismiss_staff(target, actor=service_manager, reason="退職")
    target.refresh_from_db()
    assert not target.is_active and not target.is_staff and target.groups.count() == 0
    types = list(AuditEvent.objects.filter(subject_id=str(target.pk)).values_list("event_type", flat=True))
    assert "staff.role_changed" in types and "staff.dismissed" in types


def test_a_second_role_is_refused_by_the_model_layer():
    user = make_staff("auditor", "a@staff.example.jp")
    with pytest.raises(ValidationError), transaction.atomic():
        user.groups.add(Group.objects.get(name="reception"))
    with pytest.raises(ValidationError), transaction.atomic():
        Group.objects.get(name="reception").user_set.add(user)
    assert user.groups.count() == 1


def test_roles_are_only_for_staff_accounts_and_permissions_only_through_roles(subscriber_member):
    from django.contrib.auth.models import Permission

    with pytest.raises(ValidationError), transaction.atomic():
        subscriber_member.groups.add(Group.objects.get(name="auditor"))
    with pytest.raises(ValidationError), transaction.atomic():
        subscriber_member.user_permissions.add(Permission.objects.first())


def test_superusers_cannot_be_created():
    with pytest.raises(ValueError, match="Superusers"):
        User.objects.create_superuser("root@example.jp", PASSWORD)


@pytest.mark.parametrize("role", [r for r in Role if r != Role.SERVICE_MANAGER])
def test_the_admin_appointment_page_is_only_for_the_service_manager(client, role):
    otp_login(client, make_staff(role.value, f"{role.value}@x.example.jp"))
    assert client.get(reverse("admin:mynatrust_user_appoint")).status_code == 403


def test_the_service_manager_appoints_through_the_admin(client, service_manager):
    otp_login(client, service_manager)
    url = reverse("admin:mynatrust_user_appoint")
    check = suitable(service_manager, "新任 職員", "auditor")
    entered = {
        "email": "new@staff.example.jp",
        "display_name": "新任 職員",
        "role": "auditor",
        "suitability": check.pk,
        "password": PASSWORD,
    }
    page = client.post(url, entered)
    # the confirmation page restates who gets which role; nothing is done yet
    assert (
        page.status_code == 200
        and "監査人" in page.content.decode()
        and "new@staff.example.jp" in page.content.decode()
    )
    assert not User.objects.filter(email="new@staff.example.jp").exists()
    token = re.search(r'name="confirmation" value="([^"]+)"', page.content.decode())
    assert token
    response = client.post(url, {"confirmation": token.group(1)})
    assert response.status_code == 302
    assert User.objects.get(email="new@staff.example.jp").staff_role == Role.AUDITOR


def test_an_appointment_without_its_confirmation_is_refused(client, service_manager):
    otp_login(client, service_manager)
    url = reverse("admin:mynatrust_user_appoint")
    client.post(url, {"confirmation": "forged", "email": "x@staff.example.jp", "display_name": "x", "role": "auditor"})
    assert not User.objects.filter(email="x@staff.example.jp").exists()
    assert AuditEvent.objects.filter(event_type="staff.decision_refused", data__decision="staff.appoint").exists()


def test_a_role_change_and_a_dismissal_go_through_their_confirmation_pages(client, service_manager):
    member = make_staff("auditor", "aud@staff.example.jp")
    otp_login(client, service_manager)
    role = reverse("admin:mynatrust_user_role", args=[member.pk])
    assert role in client.get(reverse("admin:mynatrust_user_change", args=[member.pk])).content.decode()
    check = suitable(service_manager, member.display_name, "maintenance")
    client.post(role, {"role": "maintenance", "suitability": check.pk})
    assert User.objects.get(pk=member.pk).staff_role == Role.AUDITOR  # not confirmed: nothing changes
    decide(client, role, {"role": "maintenance", "suitability": check.pk})
    assert User.objects.get(pk=member.pk).staff_role == Role.MAINTENANCE
    dismiss = reverse("admin:mynatrust_user_dismiss", args=[member.pk])
    assert "aud@staff.example.jp" in client.get(dismiss).content.decode()
    decide(client, dismiss, {"reason": "異動"})
    assert not User.objects.get(pk=member.pk).is_active


def test_the_admin_refuses_a_self_role_change(client, service_manager):
    otp_login(client, service_manager)
    check = suitable(service_manager, service_manager.display_name, "auditor")
    response = decide(
        client,
        reverse("admin:mynatrust_user_role", args=[service_manager.pk]),
        {"role": "auditor", "suitability": check.pk},
    )
    assert response.status_code == 200
    assert "自分自身の役割は変更できません" in response.content.decode()
    assert User.objects.get(pk=service_manager.pk).staff_role == Role.SERVICE_MANAGER


def test_account_fields_cannot_be_edited_in_the_admin(client, service_manager, subscriber_member):
    otp_login(client, service_manager)
    url = reverse("admin:mynatrust_user_change", args=[subscriber_member.pk])
    client.post(url, {"email": "hijack@example.jp", "kind": "staff", "is_staff": "on"})
    subscriber_member.refresh_from_db()
    assert subscriber_member.email == "member@subscriber-a.example.jp"
    assert subscriber_member.kind == "subscriber"


def test_the_first_service_manager_is_bootstrapped_once(monkeypatch):
    import io

    from django.core.management import CommandError, call_command

    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    call_command("staff_bootstrap", "first@staff.example.jp", "--password-stdin", stdout=io.StringIO())
    assert User.objects.get(email="first@staff.example.jp").staff_role == Role.SERVICE_MANAGER
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    with pytest.raises(CommandError, match="既に任命"):
        call_command("staff_bootstrap", "second@staff.example.jp", "--password-stdin", stdout=io.StringIO())
    assert not User.objects.filter(email="second@staff.example.jp").exists()
    # A second bootstrap on the host is a refused appointment, on the record like one in the admin.
    [refused] = AuditEvent.objects.filter(event_type="staff.appoint_refused")
    assert refused.data["email"] == "second@staff.example.jp" and refused.data["bootstrap"] is True
    assert refused.data["reason"].startswith("サービス責任者は既に任命されています")
