"""Internal audit (§2.6.1, §2.6.5): a report carries the measures taken on its findings, who is told
to take them (the service administrator), their results, and the check of the previous audit's
measures; a yearly audit not recorded shows as overdue to the service manager."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from conftest import make_staff
from mynatrust import dashboard
from mynatrust.operations import services as ledgers
from mynatrust.operations.models import InternalAuditReport, LedgerError

pytestmark = pytest.mark.django_db


def report(**extra):
    today = timezone.localdate()
    fields = {
        "period_start": today - timedelta(days=365),
        "period_end": today,
        "performed_on": today,
        "scope": "信頼される役割の業務運用、入退室管理",
        "findings": "入退室記録に立会者の記入漏れが1件",
        "measures": "入退室記録の立会者を必須項目とする",
        "responsible": "サービス管理者",
        "results": "",
        "previous_follow_up": "",
    }
    fields.update(extra)
    return fields


@pytest.fixture
def auditor():
    return make_staff("auditor", "auditor@staff.example.jp")


def test_a_report_names_the_measures_and_who_takes_them(auditor):
    entry = ledgers.record_entry(InternalAuditReport, actor=auditor, **report())
    assert entry.measures.startswith("入退室記録") and entry.responsible == "サービス管理者"
    with pytest.raises(LedgerError):
        ledgers.record_entry(InternalAuditReport, actor=auditor, **report(measures=""))


def test_the_next_audit_checks_the_previous_measures(auditor):
    ledgers.record_entry(InternalAuditReport, actor=auditor, **report())
    with pytest.raises(LedgerError):
        ledgers.record_entry(InternalAuditReport, actor=auditor, **report(previous_follow_up=""))
    ledgers.record_entry(
        InternalAuditReport, actor=auditor, **report(previous_follow_up="立会者の必須化を確認した（記入漏れなし）")
    )


def _audit_queue(user):
    return next(state for state in dashboard.queues_for(user) if state.queue.key == "internal_audit")


def test_a_yearly_audit_not_recorded_is_overdue_to_the_service_manager(auditor):
    manager = make_staff("service_manager", "manager@staff.example.jp")
    ledgers.record_entry(InternalAuditReport, actor=auditor, **report())
    assert not _audit_queue(manager).overdue
    with time_machine.travel(timezone.now() + timedelta(days=370)):
        state = _audit_queue(manager)
        assert state.overdue and state.count == 1


def test_without_any_audit_the_year_counts_from_the_first_appointment():
    manager = make_staff("service_manager", "manager@staff.example.jp")
    assert not _audit_queue(manager).overdue
    with time_machine.travel(timezone.now() + timedelta(days=370)):
        assert _audit_queue(manager).overdue
