"""Suitability before appointment (§7.2.2): an appointment or a change of role (任命・配置) names
the suitability check recorded beforehand in the ledger for that person and that role. Without one,
or with one that cannot serve, nothing is appointed and the refusal is in the audit log."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from conftest import decide, make_staff, otp_login, suitable
from mynatrust import staff
from mynatrust.models import StaffAppointment, User
from mynatrust.operations import services
from mynatrust.operations.models import SuitabilityCheck
from mynatrust.roles import Role

pytestmark = pytest.mark.django_db

EMAIL = "new@staff.example.jp"
NAME = "新任 職員"


def refused(event: str) -> AuditEvent:
    return AuditEvent.objects.filter(event_type=event).order_by("-id")[0]


def test_an_appointment_without_a_recorded_suitability_check_is_refused_and_audited(service_manager):
    with pytest.raises(staff.StaffError) as err:
        staff.appoint_staff(EMAIL, Role.SERVICE_OPERATOR, actor=service_manager, display_name=NAME)
    assert "7.2.2" in err.value.message
    assert not User.objects.filter(email=EMAIL).exists()
    event = refused("staff.appoint_refused")
    assert event.data["refused"] is True and "適格性確認記録" in event.data["reason"]


def test_the_appointment_names_the_check_made_before_it(service_manager):
    check = suitable(service_manager, NAME, "service_operator")
    user = staff.appoint_staff(
        EMAIL, Role.SERVICE_OPERATOR, actor=service_manager, display_name=NAME, suitability=check
    )
    appointment = StaffAppointment.objects.get(user=user)
    assert appointment.suitability == check and appointment.role == "service_operator"
    assert appointment.appointed_by == service_manager
    event = AuditEvent.objects.get(event_type="staff.appointed", subject_id=str(user.pk))
    assert event.data["suitability"] == check.audit_id


@pytest.mark.parametrize(
    ("overrides", "name", "message"),
    [
        ({"result": SuitabilityCheck.Result.UNSUITABLE}, NAME, "不適格"),
        ({"role": "auditor"}, NAME, "役割"),
        ({}, "別の 職員", "氏名"),
        ({"checked_on": timezone.localdate() - timedelta(days=91)}, NAME, "90日以内"),
    ],
)
def test_a_check_that_cannot_serve_is_refused_and_audited(service_manager, overrides, name, message):
    fields = dict(overrides)
    check = suitable(service_manager, NAME, fields.pop("role", "service_operator"), **fields)
    with pytest.raises(staff.StaffError) as err:
        staff.appoint_staff(EMAIL, Role.SERVICE_OPERATOR, actor=service_manager, display_name=name, suitability=check)
    assert message in err.value.message
    assert not User.objects.filter(email=EMAIL).exists() and not StaffAppointment.objects.exists()
    assert refused("staff.appoint_refused").data["suitability"] == check.audit_id


def test_a_corrected_check_serves_only_through_its_correction(service_manager):
    first = suitable(service_manager, NAME, "service_operator")
    correction = services.record_entry(
        SuitabilityCheck,
        actor=service_manager,
        corrects=first,
        correction_reason="確認した事項の記入漏れ",
        staff_name=NAME,
        role="service_operator",
        checked_on=timezone.localdate(),
        items_checked="履歴書・人事票・資格証",
        result=SuitabilityCheck.Result.SUITABLE,
    )
    with pytest.raises(staff.StaffError, match="訂正"):
        staff.appoint_staff(EMAIL, Role.SERVICE_OPERATOR, actor=service_manager, display_name=NAME, suitability=first)
    assert list(staff.usable_suitability_checks()) == [correction]
    staff.appoint_staff(EMAIL, Role.SERVICE_OPERATOR, actor=service_manager, display_name=NAME, suitability=correction)


def test_one_check_serves_one_appointment(service_manager):
    check = suitable(service_manager, NAME, "service_operator")
    staff.appoint_staff(EMAIL, Role.SERVICE_OPERATOR, actor=service_manager, display_name=NAME, suitability=check)
    with pytest.raises(staff.StaffError, match="既に別の任命"):
        staff.appoint_staff(
            "other@staff.example.jp", Role.SERVICE_OPERATOR, actor=service_manager, display_name=NAME, suitability=check
        )
    assert list(staff.usable_suitability_checks()) == []


def test_a_change_of_role_needs_a_check_for_the_new_role(service_manager):
    member = make_staff("reception", "r@staff.example.jp")
    with pytest.raises(staff.StaffError):
        staff.change_role(member, Role.SERVICE_OPERATOR, actor=service_manager)
    assert User.objects.get(pk=member.pk).staff_role == Role.RECEPTION
    assert refused("staff.role_change_refused").subject_id == str(member.pk)
    wrong_role = suitable(service_manager, member.display_name, "auditor")
    with pytest.raises(staff.StaffError, match="役割"):
        staff.change_role(member, Role.SERVICE_OPERATOR, actor=service_manager, suitability=wrong_role)
    check = suitable(service_manager, member.display_name, "service_operator")
    staff.change_role(member, Role.SERVICE_OPERATOR, actor=service_manager, suitability=check)
    assert User.objects.get(pk=member.pk).staff_role == Role.SERVICE_OPERATOR
    assert AuditEvent.objects.get(event_type="staff.role_changed").data["suitability"] == check.audit_id


def test_the_admin_appoints_with_the_check_and_shows_it_on_the_member_page(client, service_manager):
    unsuitable = suitable(service_manager, "不適格 職員", "auditor", result=SuitabilityCheck.Result.UNSUITABLE)
    check = suitable(service_manager, NAME, "auditor")
    otp_login(client, service_manager)
    url = reverse("admin:mynatrust_user_appoint")
    form = client.get(url).content.decode()
    assert "適格性確認記録" in form and "7.2.2" in form
    assert f'value="{check.pk}"' in form and f'value="{unsuitable.pk}"' not in form
    without = client.post(url, {"email": EMAIL, "display_name": NAME, "role": "auditor"})
    assert "適格性確認記録を選んでください" in without.content.decode()
    page = client.post(url, {"email": EMAIL, "display_name": NAME, "role": "auditor", "suitability": check.pk})
    assert NAME in page.content.decode() and "適格性確認記録" in page.content.decode()
    token = re.search(r'name="confirmation" value="([^"]+)"', page.content.decode())
    assert token
    assert client.post(url, {"confirmation": token.group(1)}).status_code == 302
    user = User.objects.get(email=EMAIL)
    assert user.appointments.get().suitability == check
    member_page = client.get(reverse("admin:mynatrust_user_change", args=[user.pk])).content.decode()
    assert "任命と適格性確認" in member_page and NAME in member_page


def test_the_admin_changes_a_role_with_the_check_for_it(client, service_manager):
    member = make_staff("reception", "r@staff.example.jp")
    check = suitable(service_manager, member.display_name, "maintenance")
    otp_login(client, service_manager)
    decide(
        client, reverse("admin:mynatrust_user_role", args=[member.pk]), {"role": "maintenance", "suitability": check.pk}
    )
    assert User.objects.get(pk=member.pk).staff_role == Role.MAINTENANCE
    assert StaffAppointment.objects.get(user=member).suitability == check
