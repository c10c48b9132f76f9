"""The service kernel: one transaction per service, every refusal on the record once."""

from __future__ import annotations

import pytest

from audit.models import AuditEvent
from conftest import make_staff
from kernel import ANONYMOUS, SYSTEM, ActorRecord, ServiceError, describe, service
from mynatrust.models import User


class Refused(ServiceError):
    default_code = "test_refused"


@service("test.kernel.inner")
def inner(user: User, *, actor: object) -> None:
    User.objects.filter(pk=user.pk).update(display_name="内側")
    raise Refused("内側で断りました")


@service("test.kernel.outer")
def outer(user: User, *, actor: object) -> None:
    User.objects.filter(pk=user.pk).update(is_active=False)
    inner(user, actor=actor)


def refusals() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event_type__startswith="test.kernel.").order_by("id"))


@pytest.mark.django_db(transaction=True)
def test_a_refusal_rolls_back_the_service_and_is_recorded_once_when_services_nest() -> None:
    staff = make_staff("service_operator", "kernel@staff.example.jp")
    with pytest.raises(Refused) as refused:
        outer(staff, actor=staff)
    staff.refresh_from_db()
    assert staff.is_active and staff.display_name != "内側"
    [event] = refusals()
    assert event.event_type == "test.kernel.inner_refused"
    assert event.data == {"refused": True, "code": "test_refused", "reason": "内側で断りました"}
    assert event.actor_id == str(staff.pk) and event.subject_id == str(staff.pk)
    assert refused.value.recorded and str(refused.value) == "内側で断りました"


def test_a_service_error_carries_code_message_field_and_details() -> None:
    error = ServiceError("入力が正しくありません", code="bad", field="name", details=["一", "二"])
    assert (error.code, error.message, error.field, error.details) == (
        "bad",
        "入力が正しくありません",
        "name",
        ["一", "二"],
    )
    assert ServiceError("x").code == "invalid" and Refused("x").code == "test_refused"


def test_an_actor_is_described_for_the_record_without_importing_any_app() -> None:
    class Key:
        def audit_actor(self) -> ActorRecord:
            return ActorRecord("api_key", "ab12", "受領者 / 基幹システム")

    assert describe(SYSTEM) is SYSTEM
    assert describe(None) is ANONYMOUS
    assert describe(Key()) == ActorRecord("api_key", "ab12", "受領者 / 基幹システム")
