"""Before a delegation's period ends, the subscriber's members are reminded once (run daily by
manage.py delegation_end_reminders); audited; a delegation already ended, revoked or reminded for
that end date is left alone."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from audit.models import AuditEvent
from delegations import services
from delegations.tests.lifecycle import make_active

pytestmark = pytest.mark.django_db(transaction=True)


def test_members_are_reminded_once_before_the_period_ends(subscriber, member, trusted_pki, settings):
    settings.DELEGATION_END_REMINDER_DAYS = 30
    today = timezone.localdate()
    ending = make_active(subscriber, member, trusted_pki, valid_until=today + timedelta(days=20))
    later = make_active(subscriber, member, trusted_pki, valid_until=today + timedelta(days=200))
    mail.outbox.clear()

    assert services.send_end_reminders(today=today) == 1
    (reminder,) = [m for m in mail.outbox if "委任期間の終了" in m.subject]
    assert ending.delegation_id in reminder.body and member.email in reminder.to
    assert "新しい電子委任状" in reminder.body
    event = AuditEvent.objects.get(event_type="delegations.delegation.end_reminder_sent")
    assert event.subject_id == ending.audit_id and event.data["valid_until"] == ending.valid_until.isoformat()

    out = io.StringIO()
    call_command("delegation_end_reminders", stdout=out)  # the next day's run: nothing twice
    assert "委任期間の終了のお知らせを 0 件送りました。" in out.getvalue()
    assert len([m for m in mail.outbox if "委任期間の終了" in m.subject]) == 1
    later.refresh_from_db()
    assert later.reminded_for_end is None


def test_a_revoked_delegation_is_not_reminded(subscriber, member, trusted_pki, settings):
    settings.DELEGATION_END_REMINDER_DAYS = 30
    today = timezone.localdate()
    ending = make_active(subscriber, member, trusted_pki, valid_until=today + timedelta(days=5))
    services.revoke_delegation(ending, actor=member, reason="不要になったため")
    assert services.send_end_reminders(today=today) == 0
