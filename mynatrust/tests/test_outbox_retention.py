"""Retention of the mail outbox (§2.8(10)): a mail whose sending is over (every address sent or given
up) holds addresses and a notice's text nobody needs once the audit log has its events, so it is
deleted with its messages 90 days after it finished. A mail still queued or sending, or with any
message still to send, is never due. The audit event names the mails by id and completion event,
never an address."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from audit.models import AuditEvent
from mynatrust.operations import retention
from mynatrust.outbox import services as outbox
from mynatrust.outbox.models import MailAnnouncement, OutboxMessage

from .mail_backends import TroubledBackend

pytestmark = pytest.mark.django_db

KIND = "mail.outbox"
TROUBLED = {"default": {"BACKEND": "mynatrust.tests.mail_backends.TroubledBackend"}}


@pytest.fixture(autouse=True)
def _backend(settings: Any) -> Any:
    settings.MAILERS = TROUBLED
    settings.MAIL_OUTBOX_MAX_ATTEMPTS = 1
    TroubledBackend.reset()
    yield
    TroubledBackend.reset()


def queued(*to: str, days_ago: float = 0, event_type: str = "validity.end_notice.sent") -> MailAnnouncement:
    with time_machine.travel(timezone.now() - timedelta(days=days_ago), tick=False), transaction.atomic():
        return outbox.queue_mail("件名", "山田 太郎 様：委任状 D-0001 は失効しました", to=to, event_type=event_type)


def finished(*to: str, days_ago: float, event_type: str = "validity.end_notice.sent") -> MailAnnouncement:
    """A mail queued and sent (or given up, for an address with ``bounce``) ``days_ago`` days ago."""
    mail = queued(*to, days_ago=days_ago, event_type=event_type)
    with time_machine.travel(timezone.now() - timedelta(days=days_ago), tick=False):
        outbox.deliver(mail.pk)
    mail.refresh_from_db()
    assert mail.state == MailAnnouncement.State.DONE
    return mail


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("apply_retention", "--kind", KIND, *args, stdout=out)
    return out.getvalue()


def removals() -> list[AuditEvent]:
    return [e for e in AuditEvent.objects.filter(event_type="retention.deleted") if e.subject_id == KIND]


def test_the_kind_is_registered_with_a_period_of_90_days(settings):
    assert settings.RETENTION_PERIODS[KIND] == "90d"
    assert KIND in {kind.name for kind in retention.registered()}


def test_a_finished_mail_past_its_period_goes_with_its_messages_and_the_record_names_no_address():
    old = finished("a@recipient.example.jp", "bounce@recipient.example.jp", days_ago=91)
    assert old.failed == 1  # one address given up: its sending is over too
    recent = finished("b@recipient.example.jp", days_ago=89)

    output = run()

    assert "  1 件を削除しました" in output
    assert list(MailAnnouncement.objects.values_list("pk", flat=True)) == [recent.pk]
    assert set(OutboxMessage.objects.values_list("to", flat=True)) == {"b@recipient.example.jp"}
    [event] = removals()
    assert event.data["ids"] == [f"{old.pk}:validity.end_notice.sent"]
    assert (event.data["model"], event.data["count"], event.data["period"]) == ("mynatrust.mailannouncement", 1, "90d")
    assert "@" not in json.dumps(event.data)


def test_a_mail_still_to_send_is_never_due_however_old(settings):
    settings.RETENTION_PERIODS = {**settings.RETENTION_PERIODS, KIND: "0d"}
    TroubledBackend.down = True
    sending = queued("a@recipient.example.jp", days_ago=400)
    with transaction.atomic():
        everyone = outbox.queue_announcement(event_type="repository.notice.mailed", subject="件名", body="本文")
    MailAnnouncement.objects.filter(pk=everyone.pk).update(queued_at=timezone.now() - timedelta(days=400))
    # Marked done long ago, yet one message still waits: not over.
    waiting = finished("b@recipient.example.jp", days_ago=400)
    OutboxMessage.objects.create(announcement=waiting, to="c@recipient.example.jp")

    output = run()

    assert "0 件" in output
    assert set(MailAnnouncement.objects.values_list("pk", flat=True)) == {sending.pk, everyone.pk, waiting.pk}
    assert OutboxMessage.objects.count() == 3
    assert not removals()


def test_a_dry_run_lists_the_finished_mails_and_deletes_none():
    old = finished("a@recipient.example.jp", days_ago=91)
    output = run("--dry-run")
    assert f"{KIND}: 保存期間 90 日、" in output and "より前のもの 1 件" in output
    assert MailAnnouncement.objects.filter(pk=old.pk).exists() and OutboxMessage.objects.exists()
    assert not removals()


def test_the_period_can_be_set_in_settings(settings):
    settings.RETENTION_PERIODS = {**settings.RETENTION_PERIODS, KIND: "10d"}
    old = finished("a@recipient.example.jp", days_ago=11)
    kept = finished("b@recipient.example.jp", days_ago=9)
    assert "保存期間 10 日、" in run("--dry-run")
    run()
    assert list(MailAnnouncement.objects.values_list("pk", flat=True)) == [kept.pk]
    assert [e.data["ids"] for e in removals()] == [[f"{old.pk}:validity.end_notice.sent"]]
