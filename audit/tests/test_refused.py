"""Refused actions stay on the record although their transaction rolls back."""

from __future__ import annotations

import pytest
from django.db import transaction

import audit
from audit.models import AuditEvent
from audit.tests.conftest import postgresql_only


class Refused(Exception):
    pass


def refuse_something(actor):
    try:
        with transaction.atomic():
            audit.record("test.change", actor=actor, step="made")
            raise Refused
    except Refused:
        audit.record_refused("test.change_refused", actor=actor, reason="not allowed")
        raise


def test_a_refused_action_inside_a_rolled_back_transaction_is_still_recorded(transactional_db, subscriber_member):
    with pytest.raises(Refused):
        refuse_something(subscriber_member)
    assert not AuditEvent.objects.filter(event_type="test.change").exists()
    refused = AuditEvent.objects.get(event_type="test.change_refused")
    assert refused.data == {"reason": "not allowed", "refused": True}
    assert refused.actor_id == str(subscriber_member.pk)


@postgresql_only
def test_a_refusal_survives_even_the_rollback_of_an_enclosing_transaction(transactional_db):
    with pytest.raises(Refused), transaction.atomic():  # e.g. ATOMIC_REQUESTS around the view
        refuse_something(audit.SYSTEM)
    assert AuditEvent.objects.filter(event_type="test.change_refused").count() == 1
    assert not AuditEvent.objects.filter(event_type="test.change").exists()


def test_the_staff_service_records_its_refusals(transactional_db, staff_by_role):
    from mynatrust import staff
    from mynatrust.roles import Role

    reception = staff_by_role["reception"]
    with pytest.raises(staff.StaffError):
        staff.change_role(staff_by_role["auditor"], Role.RECEPTION, actor=reception)
    event = AuditEvent.objects.get(event_type="staff.role_change_refused")
    assert event.data["refused"] is True
