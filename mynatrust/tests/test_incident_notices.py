"""Failures, security incidents and recovery (§2.1.1 連絡, §6.3.1, §6.3.2).

- An incident notice and a recovery notice are published in the repository and mailed to every
  subscriber and recipient (§6.3.1: 電子メールもしくは郵便およびリポジトリー上の告知).
- A security failure recorded in the incident ledger is made known to every member of staff
  (§6.3.2: 業務の全従事者に周知).
- A security incident that may leak information is reported to the ministry (§6.3.2, §2.1.1
  関係省庁に対して速やかに連絡): the report is a recorded step of the incident, and an incident not
  yet reported waits in the service manager's queue until it is.
"""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from conftest import make_staff, make_user
from mynatrust import dashboard
from mynatrust.operations import services as ledgers
from mynatrust.operations.models import IncidentRecord, LedgerError
from mynatrust.repository import services
from mynatrust.repository.models import Notice

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator():
    return make_staff("service_operator", "operator@staff.example.jp")


@pytest.fixture
def administrator():
    return make_staff("service_administrator", "admin@staff.example.jp")


@pytest.fixture
def manager():
    return make_staff("service_manager", "manager@staff.example.jp")


def _people():
    make_user("a@subscriber.example.jp", "subscriber")
    make_user("c@recipient.example.jp", "recipient")
    make_user("gone@subscriber.example.jp", "subscriber", is_active=False)


@pytest.mark.parametrize(
    ("kind", "title"),
    [
        (Notice.Kind.INCIDENT, "有効性確認の応答が停止しています"),
        (Notice.Kind.RECOVERY, "有効性確認の応答が復旧しました"),
    ],
)
def test_incident_and_recovery_notices_are_mailed_to_every_subscriber_and_recipient(
    kind, title, operator, mailoutbox, django_capture_on_commit_callbacks
):
    _people()
    notice = services.save_notice_draft(
        Notice(kind=kind, title=title, body="詳細は告知をご覧ください。"), actor=operator
    )

    with django_capture_on_commit_callbacks(execute=True):
        services.publish_notice(notice, actor=operator)
    call_command("send_mail_outbox", stdout=StringIO())

    addressed = sorted(address for mail in mailoutbox for address in mail.to)
    assert addressed == ["a@subscriber.example.jp", "c@recipient.example.jp"]
    assert title in mailoutbox[0].subject
    assert reverse("repository:notice", args=[notice.public_id]) in mailoutbox[0].body
    assert AuditEvent.objects.get(event_type="repository.notice.mailed").data["sent"] == 2


def test_a_maintenance_notice_is_published_but_not_mailed(operator, mailoutbox, django_capture_on_commit_callbacks):
    _people()
    notice = services.save_notice_draft(
        Notice(kind=Notice.Kind.MAINTENANCE, title="定期保守", body="停止します。"), actor=operator
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.publish_notice(notice, actor=operator)
    assert mailoutbox == []


def _incident(**fields):
    now = timezone.now()
    data = {
        "occurred_at": now - timedelta(hours=2),
        "detected_at": now - timedelta(hours=1),
        "severity": IncidentRecord.Severity.HIGH,
        "summary": "管理端末への不正ログインの試行",
        "response": "端末を隔離し、パスワードを変更",
    }
    data.update(fields)
    return data


def test_a_security_failure_is_made_known_to_every_member_of_staff(
    administrator, manager, mailoutbox, django_capture_on_commit_callbacks
):
    make_staff("auditor", "auditor@staff.example.jp")
    make_staff("maintenance", "maintenance@staff.example.jp")
    dismissed = make_staff("service_operator", "gone@staff.example.jp")
    dismissed.is_active = False
    dismissed.save()
    make_user("a@subscriber.example.jp", "subscriber")

    with django_capture_on_commit_callbacks(execute=True):
        entry = ledgers.record_entry(IncidentRecord, actor=administrator, security_failure=True, **_incident())

    addressed = sorted(address for mail in mailoutbox for address in mail.to)
    assert addressed == [
        "admin@staff.example.jp",
        "auditor@staff.example.jp",
        "maintenance@staff.example.jp",
        "manager@staff.example.jp",
    ]
    assert "セキュリティ障害" in mailoutbox[0].subject
    assert "管理端末への不正ログインの試行" in mailoutbox[0].body
    event = AuditEvent.objects.get(event_type="operations.incident.staff_notified")
    assert event.data["sent"] == 4
    assert event.subject_id == entry.audit_id


def test_a_correction_of_a_security_failure_does_not_notify_staff_again(
    administrator, manager, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = ledgers.record_entry(IncidentRecord, actor=administrator, security_failure=True, **_incident())
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        ledgers.record_entry(
            IncidentRecord,
            actor=administrator,
            corrects=first,
            correction_reason="復旧日時を追記",
            security_failure=True,
            **_incident(resolved_at=timezone.now()),
        )
    assert mailoutbox == []


def test_an_ordinary_failure_is_not_mailed_to_staff(administrator, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ledgers.record_entry(IncidentRecord, actor=administrator, **_incident(severity=IncidentRecord.Severity.LOW))
    assert mailoutbox == []


def test_a_leak_risk_is_a_security_failure():
    entry = IncidentRecord(**_incident(), leak_risk=True, security_failure=False)
    with pytest.raises(ValidationError) as err:
        entry.clean()
    assert "security_failure" in err.value.message_dict


def test_a_ministry_report_needs_both_its_time_and_to_whom(administrator):
    with pytest.raises(LedgerError):
        ledgers.record_entry(
            IncidentRecord,
            actor=administrator,
            security_failure=True,
            leak_risk=True,
            ministry_reported_at=timezone.now(),
            **_incident(),
        )
    assert AuditEvent.objects.filter(event_type="operations.ledger.record_refused").exists()
    assert not IncidentRecord.objects.exists()


def _ministry_queue(user):
    return next(state for state in dashboard.queues_for(user) if state.queue.key == "ministry_report")


def test_an_unreported_leak_risk_waits_for_the_ministry_report_until_a_later_entry_records_it(
    administrator, manager, django_capture_on_commit_callbacks
):
    first = ledgers.record_entry(
        IncidentRecord, actor=administrator, security_failure=True, leak_risk=True, **_incident()
    )
    ledgers.record_entry(IncidentRecord, actor=administrator, **_incident(summary="ディスク障害"))

    state = _ministry_queue(manager)
    assert state.count == 1
    assert state.oldest_url.endswith(f"/{first.pk}/change/")

    reported = timezone.now()
    ledgers.record_entry(
        IncidentRecord,
        actor=administrator,
        corrects=first,
        correction_reason="主務省庁への報告を記録",
        security_failure=True,
        leak_risk=True,
        ministry_reported_at=reported,
        ministry_report="総務省・経済産業省の担当課へ電話と電子メールで報告（受付番号 123）",
        **_incident(),
    )
    assert _ministry_queue(manager).count == 0
    assert _ministry_queue(administrator).count == 0
    recorded = AuditEvent.objects.filter(event_type="operations.ledger.corrected").get()
    assert recorded.data["entry"]["ministry_report"].startswith("総務省")


def test_the_ministry_report_is_overdue_after_a_day():
    assert dashboard.limit_days("ministry_report") == 1


def test_the_demo_shows_an_incident_reported_to_the_ministry_and_its_recovery_notice(
    mailoutbox, django_capture_on_commit_callbacks
):
    from io import StringIO
    from types import SimpleNamespace

    from mynatrust import demo
    from mynatrust.management.commands.demo_setup import Command

    Command()._accounts()
    with django_capture_on_commit_callbacks(execute=True):
        demo.setup(SimpleNamespace(stdout=StringIO()))
        demo.setup(SimpleNamespace(stdout=StringIO()))
    call_command("send_mail_outbox", stdout=StringIO())
    chain = IncidentRecord.objects.filter(summary="有効性確認 API への認証情報の総当たり").order_by("pk")
    assert [entry.ministry_reported_at is not None for entry in chain] == [False, True]
    # and another one still waiting for its report, in the service manager's queue
    waiting = next(state for state in dashboard.QUEUES if state.key == "ministry_report").items()
    assert waiting.exists() and not waiting.filter(pk__in=[entry.pk for entry in chain]).exists()
    recovery = Notice.objects.get(kind=Notice.Kind.RECOVERY)
    assert recovery.is_published and chain[1].notice_public_id == recovery.public_id
    assert any(recovery.title in mail.subject for mail in mailoutbox)
    assert any("セキュリティ障害" in mail.subject for mail in mailoutbox)
