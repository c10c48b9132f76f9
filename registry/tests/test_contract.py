"""Contract term, renewal and reminders (§10.2.1); suspension and termination; who may submit."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone, translation

from mynatrust.tests.mail_backends import DOWN
from registry import contract, services
from registry.models import Subscriber
from registry.services import RegistryError

from .conftest import events

pytestmark = pytest.mark.django_db


def test_approval_starts_a_yearly_contract(active):
    assert active.contract_end == contract.term_end(active.contract_start)
    assert (active.contract_end - active.contract_start).days in (364, 365)


def test_renewal_is_offered_near_the_end_and_extends_by_one_term(client, active, subscriber_member):
    client.force_login(subscriber_member)
    assert "契約を更新する" not in client.get("/app/").content.decode()
    assert client.post("/app/contract/renew/").status_code == 302
    assert events("registry.contract.renew_refused")[0].data["code"] == "too_early"
    old_end = timezone.localdate() + timedelta(days=10)  # sessions expire under time travel: move the contract instead
    Subscriber.objects.filter(pk=active.pk).update(contract_end=old_end)
    assert "契約を更新する" in client.get("/app/").content.decode()
    client.post("/app/contract/renew/")
    active.refresh_from_db()
    assert active.contract_end == contract.term_end(old_end + timedelta(days=1))
    event = events("registry.contract.renewed")[0]
    assert event.data["old_end"] == old_end.isoformat()


def test_an_expired_contract_stops_new_submissions_and_renewal_restarts_it(active, subscriber_member):
    after = active.contract_end + timedelta(days=3)
    assert active.may_submit(after - timedelta(days=4))
    assert "契約期間が終了" in active.submission_refusal(after)
    with time_machine.travel(after, tick=False):
        services.renew_contract(active, actor=subscriber_member)
        active.refresh_from_db()
        assert active.contract_end == contract.term_end(after)
        assert active.may_submit(after)


def test_reminders_go_out_once_per_contract_end(active, mailoutbox, django_capture_on_commit_callbacks):
    out = io.StringIO()
    with (
        time_machine.travel(active.contract_end - timedelta(days=30), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        call_command("send_contract_reminders", stdout=out)
        call_command("send_contract_reminders", stdout=out)
    assert "更新案内を 1 件送りました。" in out.getvalue() and "更新案内を 0 件送りました。" in out.getvalue()
    assert len(mailoutbox) == 1 and "終了が近づいています" in mailoutbox[0].subject
    assert len(events("registry.contract.reminder_sent")) == 1


def test_a_reminder_the_mail_server_refuses_is_not_marked_and_goes_on_the_next_run(
    active, other_active, mailoutbox, settings
):
    working, settings.MAILERS = settings.MAILERS, DOWN
    out = io.StringIO()
    with time_machine.travel(active.contract_end - timedelta(days=30), tick=False):
        with pytest.raises(CommandError) as failed:
            call_command("send_contract_reminders", stdout=out)
        assert "更新案内を 0 件送りました。" in out.getvalue()
        assert failed.value.returncode == 1
        assert str(failed.value) == (
            "更新案内を 2 件送れませんでした（メールサーバーが受け付けませんでした）。"
            "送信済みにしていないので、次の実行で改めて送ります。"
        )
        # Nothing says they were reminded; each refused mail is on the record, once.
        for subscriber in (active, other_active):
            subscriber.refresh_from_db()
            assert subscriber.reminded_for_end is None
        assert events("registry.contract.reminder_sent") == []
        refused = events("mail.not_sent")
        assert sorted(e.subject_id for e in refused) == sorted([active.public_id, other_active.public_id])
        assert all("終了が近づいています" in e.data["mail_subject"] for e in refused)
        # The same summary in English through the catalogue.
        with translation.override("en"), pytest.raises(CommandError) as failed:
            call_command("send_contract_reminders", stdout=io.StringIO())
        assert str(failed.value) == (
            "2 renewal reminder(s) could not be sent (the mail server refused them). They are not "
            "marked as sent: the next run sends them."
        )

        # The next run, with the mail working again, reminds each once.
        settings.MAILERS = working
        call_command("send_contract_reminders", stdout=out)
        call_command("send_contract_reminders", stdout=out)
    assert "更新案内を 2 件送りました。" in out.getvalue()
    assert len(mailoutbox) == 2 and all("終了が近づいています" in m.subject for m in mailoutbox)
    assert len(events("registry.contract.reminder_sent")) == 2 and len(events("mail.not_sent")) == 4


def test_a_dry_run_lists_who_would_be_reminded_and_sends_nothing(active, mailoutbox):
    out = io.StringIO()
    with time_machine.travel(active.contract_end - timedelta(days=30), tick=False):
        call_command("send_contract_reminders", "--dry-run", stdout=out)
    end = f"{active.contract_end.year}年{active.contract_end.month}月{active.contract_end.day}日"
    assert f"  {active}（契約終了日 {end}）" in out.getvalue()
    assert "試行のみ：1 件の更新案内を送ることになります。何も送っていません。" in out.getvalue()
    assert mailoutbox == [] and events("registry.contract.reminder_sent") == []


def test_reception_sees_contracts_nearing_their_end(client, active, reception):
    from conftest import otp_login

    otp_login(client, reception)
    url = "/staff-admin/registry/subscriber/?queue=nearing_end"
    assert "株式会社みなと商事" not in client.get(url).content.decode()
    Subscriber.objects.filter(pk=active.pk).update(contract_end=timezone.localdate() + timedelta(days=20))
    assert "株式会社みなと商事" in client.get(url).content.decode()


def test_suspension_stops_submissions_until_reinstated(client, active, reception):
    from conftest import decide, otp_login

    otp_login(client, reception)
    url = reverse("admin:registry_subscriber_decide", args=[active.pk, "suspend"])
    client.post(url, {"reason": "支払い遅延"})
    active.refresh_from_db()
    assert active.status == Subscriber.Status.ACTIVE  # a POST without the confirmation decides nothing
    assert decide(client, url, {"reason": "支払い遅延"}).status_code == 302
    active.refresh_from_db()
    assert active.status == Subscriber.Status.SUSPENDED
    assert "利用停止中" in active.submission_refusal()
    assert events("registry.subscriber.suspended")[0].data["reason"] == "支払い遅延"
    services.reinstate_subscriber(active, actor=reception, reason="入金確認")
    active.refresh_from_db()
    assert active.may_submit()
    assert events("registry.subscriber.reinstated")


def test_termination_records_the_retention_and_deletion_dates(active, reception):
    services.terminate_subscriber(active, actor=reception, reason="解約の申出", ended_on=date(2027, 3, 31))
    active.refresh_from_db()
    assert active.status == Subscriber.Status.TERMINATED
    assert active.terminated_on == date(2027, 3, 31)
    assert active.retention_until == date(2037, 3, 31)
    assert active.deletion_scheduled_on == date(2037, 4, 1)
    assert "契約が終了" in active.submission_refusal()
    event = events("registry.subscriber.terminated")[0]
    assert event.data["retention_until"] == "2037-03-31"
    with pytest.raises(RegistryError):
        services.suspend_subscriber(active, actor=reception, reason="x")
    assert events("registry.subscriber.suspend_refused")


def test_an_application_not_yet_approved_may_not_submit(applied):
    assert not applied.may_submit()
    assert "承認されていない" in applied.submission_refusal()


@pytest.mark.parametrize(
    ("start", "months", "end"),
    [
        (date(2026, 4, 1), 12, date(2027, 3, 31)),
        (date(2026, 1, 31), 1, date(2026, 2, 27)),  # 31 January + 1 month → 28 February, minus a day
        (date(2028, 2, 29), 12, date(2029, 2, 27)),  # leap day
        (date(2026, 11, 25), 12, date(2027, 11, 24)),
    ],
)
def test_term_end(start, months, end):
    assert contract.term_end(start, months) == end


def test_renewed_end_continues_from_the_old_end_or_restarts_after_it():
    assert contract.renewed_end(date(2027, 3, 31), date(2027, 3, 1), 12) == date(2028, 3, 31)
    assert contract.renewed_end(date(2027, 3, 31), date(2027, 5, 1), 12) == date(2028, 4, 30)
