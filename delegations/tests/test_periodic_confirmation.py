"""Periodic confirmation (§4.3): the subscriber confirms each registered delegation is true and
accurate; mails before and after the due date; reception's queue of those still not confirmed; the
delegation itself stays in force (the rules attach no consequence to it)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from conftest import decide, make_staff, otp_login
from delegations import confirmation
from delegations.models import ConfirmationFollowUp, ConfirmationNotice, Delegation, PeriodicConfirmation
from delegations.services import DelegationError, revoke_delegation
from delegations.standing import Standing
from delegations.tests.lifecycle import events, make_active
from mynatrust import dashboard
from mynatrust.tests.mail_backends import DOWN

pytestmark = pytest.mark.django_db


def due_in(delegation: Delegation, days: int) -> Delegation:
    """Let time pass: the due date is ``days`` from today (negative: overdue)."""
    Delegation.objects.filter(pk=delegation.pk).update(confirmation_due_on=confirmation.today() + timedelta(days=days))
    delegation.refresh_from_db()
    return delegation


def test_registration_sets_the_first_due_date_one_interval_later(subscriber, member, trusted_pki, settings):
    delegation = make_active(subscriber, member, trusted_pki)
    assert delegation.status == Delegation.Status.ACTIVE
    interval = timedelta(days=settings.DELEGATION_CONFIRMATION_INTERVAL_DAYS)
    assert delegation.confirmation_due_on == confirmation.today() + interval
    assert not confirmation.is_due(delegation)


def test_a_member_confirms_and_the_next_due_date_is_a_full_interval_away(subscriber, member, trusted_pki, settings):
    delegation = due_in(make_active(subscriber, member, trusted_pki), -3)
    record = confirmation.confirm_delegation(delegation, actor=member, confirmed=True)
    delegation.refresh_from_db()
    interval = timedelta(days=settings.DELEGATION_CONFIRMATION_INTERVAL_DAYS)
    assert delegation.confirmation_due_on == record.next_due_on == confirmation.today() + interval
    assert record.due_on == confirmation.today() - timedelta(days=3)
    assert record.confirmed_by == member and "4.3" in str(record.statement)
    [event] = events("delegations.confirmation.confirmed")
    assert event.data["overdue"] is True and event.subject_id == delegation.delegation_id


def test_a_confirmation_without_the_statement_is_refused_and_audited(subscriber, member, trusted_pki):
    delegation = due_in(make_active(subscriber, member, trusted_pki), -3)
    with pytest.raises(DelegationError) as refused:
        confirmation.confirm_delegation(delegation, actor=member, confirmed=False)
    assert "チェック" in refused.value.message
    assert not PeriodicConfirmation.objects.exists()
    assert Delegation.objects.get(pk=delegation.pk).confirmation_due_on == delegation.confirmation_due_on
    assert events("delegations.confirmation.confirm_refused")[-1].data["code"] == "not_confirmed"


def test_nobody_outside_the_subscriber_confirms(subscriber, member, other_member, trusted_pki):
    delegation = make_active(subscriber, member, trusted_pki)
    with pytest.raises(DelegationError):
        confirmation.confirm_delegation(delegation, actor=other_member, confirmed=True)
    assert not PeriodicConfirmation.objects.exists()
    assert events("delegations.confirmation.confirm_refused")[-1].data["code"] == "not_permitted"


def test_a_revoked_delegation_is_no_longer_asked_for(subscriber, member, trusted_pki):
    delegation = due_in(make_active(subscriber, member, trusted_pki), -3)
    revoke_delegation(delegation, actor=member, reason="退職")
    assert not confirmation.to_confirm().exists()
    with pytest.raises(DelegationError) as refused:
        confirmation.confirm_delegation(delegation, actor=member, confirmed=True)
    assert refused.value.code == "wrong_state"
    assert confirmation.send_reminders() == {"prompt": 0, "reminder": 0, "not_sent": 0}


def test_mails_go_once_before_and_once_after_the_due_date(
    subscriber, member, trusted_pki, settings, django_capture_on_commit_callbacks
):
    delegation = due_in(make_active(subscriber, member, trusted_pki), settings.DELEGATION_CONFIRMATION_NOTICE_DAYS + 1)
    mail.outbox.clear()
    assert confirmation.send_reminders() == {"prompt": 0, "reminder": 0, "not_sent": 0}
    due_in(delegation, settings.DELEGATION_CONFIRMATION_NOTICE_DAYS)
    with django_capture_on_commit_callbacks(execute=True):
        assert confirmation.send_reminders() == {"prompt": 1, "reminder": 0, "not_sent": 0}
        assert confirmation.send_reminders() == {"prompt": 0, "reminder": 0, "not_sent": 0}  # never twice
    [prompt] = mail.outbox
    assert prompt.to == [member.email] and "定期確認のお願い" in prompt.subject
    assert str(delegation.delegation_id) in str(prompt.body) and "4.3" in str(prompt.body)
    due_in(delegation, -1)
    with django_capture_on_commit_callbacks(execute=True):
        assert confirmation.send_reminders() == {"prompt": 0, "reminder": 1, "not_sent": 0}
    assert "期限を過ぎています" in mail.outbox[-1].subject
    assert list(ConfirmationNotice.objects.values_list("stage", flat=True).order_by("pk")) == ["prompt", "reminder"]
    reminded = events("delegations.confirmation.reminded")
    assert [e.data["stage"] for e in reminded] == ["prompt", "reminder"]
    assert reminded[0].data["delegations"] == [delegation.delegation_id]
    # A confirmation moves the due date on: the next year's mails go again, once each.
    confirmation.confirm_delegation(delegation, actor=member, confirmed=True)
    assert confirmation.send_reminders() == {"prompt": 0, "reminder": 0, "not_sent": 0}


def test_an_unconfirmed_delegation_stays_in_force_and_joins_receptions_queue(
    subscriber, member, trusted_pki, settings, staff_by_role
):
    delegation = due_in(make_active(subscriber, member, trusted_pki), -settings.DELEGATION_CONFIRMATION_FOLLOW_UP_DAYS)
    reception = staff_by_role["reception"]

    def queue() -> dashboard.QueueState:
        [state] = [s for s in dashboard.queues_for(reception) if s.queue.key == "confirmation_follow_up"]
        return state

    assert queue().count == 0  # overdue, but the reminder has not had its time yet
    due_in(delegation, -settings.DELEGATION_CONFIRMATION_FOLLOW_UP_DAYS - 1)
    assert delegation.current_status == Standing.VALID  # the answer to recipients does not change
    state = queue()
    assert state.count == 1 and state.age_days == 0 and not state.overdue
    assert state.oldest_url == reverse("admin:delegations_delegation_change", args=[delegation.pk])
    for role in ("service_operator", "auditor", "service_manager"):
        assert "confirmation_follow_up" not in [s.queue.key for s in dashboard.queues_for(staff_by_role[role])]


def test_reception_records_a_follow_up_through_its_confirmation_page(
    client, subscriber, member, trusted_pki, settings, staff_by_role
):
    delegation = due_in(
        make_active(subscriber, member, trusted_pki), -settings.DELEGATION_CONFIRMATION_FOLLOW_UP_DAYS - 1
    )
    otp_login(client, staff_by_role["reception"])
    page = client.get(reverse("admin:delegations_delegation_change", args=[delegation.pk])).content.decode()
    assert "定期確認（運用規程 4.3）" in page and "期限超過" in page
    url = reverse("admin:delegations_delegation_action", args=[delegation.pk, "follow_up"])
    data = {"channel": "phone", "note": "代表者に電話し、今週中に確認すると回答を得た"}
    client.post(url, data)
    assert not ConfirmationFollowUp.objects.exists()  # not through its confirmation page: nothing
    decide(client, url, data)
    follow_up = ConfirmationFollowUp.objects.get()
    assert follow_up.recorded_by == staff_by_role["reception"] and follow_up.channel == "phone"
    assert follow_up.due_on == delegation.confirmation_due_on
    assert events("delegations.confirmation.followed_up")[-1].data["channel"] == "phone"
    listed = client.get(reverse("admin:delegations_delegation_changelist") + "?confirmation=follow_up")
    assert delegation.delegation_id in listed.content.decode()


def test_only_reception_records_a_follow_up_and_not_before_the_due_date(subscriber, member, trusted_pki):
    delegation = make_active(subscriber, member, trusted_pki)
    operator = make_staff("service_operator", "op@staff.example.jp")
    reception = make_staff("reception", "rc@staff.example.jp")
    with pytest.raises(DelegationError):
        confirmation.record_follow_up(delegation, actor=operator, channel="mail", note="連絡")
    with pytest.raises(DelegationError) as early:
        confirmation.record_follow_up(delegation, actor=reception, channel="mail", note="連絡")
    assert early.value.code == "not_overdue"
    with pytest.raises(DelegationError) as empty:
        confirmation.record_follow_up(due_in(delegation, -1), actor=reception, channel="mail", note=" ")
    assert empty.value.code == "note_missing"
    assert not ConfirmationFollowUp.objects.exists()
    assert len(events("delegations.confirmation.follow_up_refused")) == 3


def test_the_subscriber_confirms_on_the_delegation_page(client, subscriber, member, trusted_pki):
    delegation = due_in(make_active(subscriber, member, trusted_pki), 5)
    client.force_login(member)
    listing = client.get(reverse("delegations:list")).content.decode()
    assert 'data-testid="to-confirm"' in listing and delegation.delegation_id in listing
    url = reverse("delegations:detail", kwargs={"public_id": delegation.public_id})
    page = client.get(url).content.decode()
    assert "定期確認" in page and "期限が近づいています" in page and "まだ確認していません" in page
    confirm = reverse("delegations:confirm", kwargs={"public_id": delegation.public_id})
    refused = client.post(confirm, {}, follow=True).content.decode()
    assert "チェックを入れてください" in refused and not PeriodicConfirmation.objects.exists()
    done = client.post(confirm, {"confirmed": "on"}, follow=True).content.decode()
    assert "定期確認を記録しました" in done
    assert PeriodicConfirmation.objects.get().confirmed_by == member
    assert 'data-testid="to-confirm"' not in client.get(reverse("delegations:list")).content.decode()


def test_the_daily_command_mails_and_counts(subscriber, member, trusted_pki, settings, capsys):
    due_in(make_active(subscriber, member, trusted_pki), 3)
    call_command("delegation_confirmations", "--dry-run")
    assert (
        "確認のお願い（通知期間内に期限が来るもの）：対象 1 件（試行のみ、送っていません）" in capsys.readouterr().out
    )
    assert not ConfirmationNotice.objects.exists()
    call_command("delegation_confirmations")
    assert "確認のお願い（通知期間内に期限が来るもの）：1 件送りました" in capsys.readouterr().out
    assert ConfirmationNotice.objects.count() == 1


def test_a_mail_the_server_refuses_is_not_recorded_as_sent_and_goes_on_the_next_run(
    subscriber, member, trusted_pki, settings, capsys
):
    soon = due_in(make_active(subscriber, member, trusted_pki), 3)
    late = due_in(make_active(subscriber, member, trusted_pki), -1)
    working, settings.MAILERS = settings.MAILERS, DOWN
    with pytest.raises(CommandError) as failed:
        call_command("delegation_confirmations")
    said = capsys.readouterr().out
    assert "確認のお願い（通知期間内に期限が来るもの）：0 件送りました" in said
    assert "期限超過のお知らせ（期限を過ぎたもの）：0 件送りました" in said
    assert failed.value.returncode == 1
    assert str(failed.value) == (
        "定期確認のメールを 2 通送れませんでした（メールサーバーが受け付けませんでした）。"
        "送信済みにしていないので、次の実行で改めて送ります。"
    )
    # Nothing says they were mailed; each refused mail (one per stage) is on the record, once.
    assert not ConfirmationNotice.objects.exists() and not events("delegations.confirmation.reminded")
    refused = events("mail.not_sent")
    assert [e.data["mail_subject"] for e in refused] == [
        "【MynaTrust e-LOA】電子委任状の定期確認のお願い",
        "【MynaTrust e-LOA】電子委任状の定期確認の期限を過ぎています",
    ]
    assert {e.subject_id for e in refused} == {subscriber.public_id}

    # The next run, with the mail working again, sends each once.
    settings.MAILERS = working
    mail.outbox.clear()
    call_command("delegation_confirmations")
    call_command("delegation_confirmations")
    said = capsys.readouterr().out
    assert "確認のお願い（通知期間内に期限が来るもの）：1 件送りました" in said
    assert "期限超過のお知らせ（期限を過ぎたもの）：1 件送りました" in said
    assert len(mail.outbox) == 2 and len(events("mail.not_sent")) == 2
    assert str(soon.delegation_id) in str(mail.outbox[0].body) and str(late.delegation_id) in str(mail.outbox[1].body)
    assert sorted(ConfirmationNotice.objects.values_list("stage", flat=True)) == ["prompt", "reminder"]


@pytest.mark.parametrize("clock", ["2027-03-10 00:30 +09:00", "2027-03-10 08:59 +09:00", "2027-03-10 23:30 +09:00"])
def test_a_delegation_waits_in_receptions_queue_from_the_start_of_the_japan_day(
    subscriber, member, trusted_pki, settings, staff_by_role, clock
):
    """It joins the queue at 00:00 in Japan on the day after the follow-up days: on that day the
    dashboard says 0 days at any hour, never -1 (a date taken as midnight UTC, nine hours late)."""
    now = datetime.strptime(clock, "%Y-%m-%d %H:%M %z")
    delegation = make_active(subscriber, member, trusted_pki)
    with time_machine.travel(now, tick=False):
        due_in(delegation, -settings.DELEGATION_CONFIRMATION_FOLLOW_UP_DAYS - 1)
        [state] = [
            s for s in dashboard.queues_for(staff_by_role["reception"]) if s.queue.key == "confirmation_follow_up"
        ]
        assert state.count == 1
        assert state.oldest_at == datetime(2027, 3, 10, tzinfo=ZoneInfo("Asia/Tokyo"))
        assert state.age_days == 0 and not state.overdue
