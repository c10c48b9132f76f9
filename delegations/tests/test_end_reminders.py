"""Before a delegation's period ends, the subscriber's members are reminded once (run daily by
manage.py delegation_end_reminders); audited; a delegation already ended, revoked or reminded for
that end date is left alone. A reminder the mail server refuses is not marked: the run says so,
fails, and the next run sends it."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command, load_command_class
from django.core.management.base import OutputWrapper
from django.utils import timezone

from audit.models import AuditEvent
from delegations import services
from delegations.tests.lifecycle import make_active
from mynatrust.tests.mail_backends import DOWN

pytestmark = pytest.mark.django_db(transaction=True)


def test_members_are_reminded_once_before_the_period_ends(subscriber, member, trusted_pki, settings):
    settings.DELEGATION_END_REMINDER_DAYS = 30
    today = timezone.localdate()
    ending = make_active(subscriber, member, trusted_pki, valid_until=today + timedelta(days=20))
    later = make_active(subscriber, member, trusted_pki, valid_until=today + timedelta(days=200))
    mail.outbox.clear()

    assert services.send_end_reminders(today=today).sent == 1
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
    assert services.send_end_reminders(today=today).sent == 0


def test_a_reminder_the_mail_server_refuses_is_not_marked_and_goes_on_the_next_run(
    subscriber, member, trusted_pki, settings
):
    settings.DELEGATION_END_REMINDER_DAYS = 30
    today = timezone.localdate()
    ending = [make_active(subscriber, member, trusted_pki, valid_until=today + timedelta(days=d)) for d in (5, 20)]
    working, settings.MAILERS = settings.MAILERS, DOWN
    out, err = io.StringIO(), io.StringIO()
    command = load_command_class("delegations", "delegation_end_reminders")
    command.stdout, command.stderr = OutputWrapper(out), OutputWrapper(err)

    with pytest.raises(SystemExit) as exited:  # as the scheduler runs it
        command.run_from_argv(["manage.py", "delegation_end_reminders"])

    assert exited.value.code == 1
    assert "委任期間の終了のお知らせを 0 件送りました。" in out.getvalue()
    assert err.getvalue() == (
        "エラー：委任期間の終了のお知らせを 2 件送れませんでした（メールサーバーが受け付けませんでした）。"
        "送信済みにしていないので、次の実行で改めて送ります。\n"
    )
    # Nothing says they were reminded; each refused mail is on the record, once.
    for delegation in ending:
        delegation.refresh_from_db()
        assert delegation.reminded_for_end is None
    assert not AuditEvent.objects.filter(event_type="delegations.delegation.end_reminder_sent").exists()
    refused = AuditEvent.objects.filter(event_type="mail.not_sent").order_by("id")
    assert sorted(e.subject_id for e in refused) == sorted(d.audit_id for d in ending)
    assert all("委任期間の終了" in e.data["mail_subject"] for e in refused)

    # The next run, with the mail working again, reminds each once.
    settings.MAILERS = working
    mail.outbox.clear()
    out = io.StringIO()
    call_command("delegation_end_reminders", stdout=out)
    call_command("delegation_end_reminders", stdout=out)
    assert "委任期間の終了のお知らせを 2 件送りました。" in out.getvalue()
    reminders = [m for m in mail.outbox if "委任期間の終了" in m.subject]
    assert len(reminders) == 2
    for delegation in ending:
        assert len([m for m in reminders if delegation.delegation_id in m.body]) == 1
        delegation.refresh_from_db()
        assert delegation.reminded_for_end == delegation.valid_until
    assert AuditEvent.objects.filter(event_type="mail.not_sent").count() == 2
