"""Retention of drafts never submitted (§2.8(10)): a draft nobody has saved for 6 months is no
longer needed and is deleted whole, each deletion on the audit log. A draft is not signed and not a
registered record; anything past the draft (finalised, submitted, registered, ended) is never
touched by this kind, however old. The list tells the subscriber how long an untouched draft stays.

The subscriber's members are told by mail DELEGATION_IDLE_DRAFT_NOTICE_DAYS (14) days before,
once per idle period, by the same daily run; a draft is deleted only once that notice went out at
least the lead earlier (Japan dates), never without it."""

from __future__ import annotations

import contextlib
import io
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from audit import labels as audit_labels
from delegations import services
from delegations.models import Delegation
from delegations.retention import IDLE_DRAFTS
from delegations.standing import today_in_japan
from delegations.tests.lifecycle import draft_values, events, make_active, make_draft, make_finalised
from mynatrust.operations import retention
from mynatrust.tests.smtp_servers import DROPS, REFUSES_SENDER, SILENT, closed_port, mail_server

pytestmark = pytest.mark.django_db

KIND = "delegations.idle_draft"


def last_saved(delegation: Delegation, *, days_ago: float, **fields: object) -> Delegation:
    """Pretend the delegation was last saved ``days_ago`` days ago (and created a year before that)."""
    at = timezone.now() - timedelta(days=days_ago)
    Delegation.objects.filter(pk=delegation.pk).update(updated_at=at, created_at=at - timedelta(days=365), **fields)
    delegation.refresh_from_db()
    return delegation


def noticed(draft: Delegation, *, days_ago: float) -> Delegation:
    """Pretend the notice of the draft's coming deletion went out ``days_ago`` days ago."""
    Delegation.objects.filter(pk=draft.pk).update(idle_notice_sent_at=timezone.now() - timedelta(days=days_ago))
    draft.refresh_from_db()
    return draft


def notices() -> list:
    return [m for m in mail.outbox if "下書き" in m.subject or "draft" in m.subject]


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("apply_retention", "--kind", KIND, *args, stdout=out)
    return out.getvalue()


def deletions() -> list:
    return [e for e in events("retention.deleted") if e.subject_id == KIND]


def test_a_draft_nobody_saved_for_six_months_is_deleted_and_the_deletion_recorded(subscriber, member):
    idle = noticed(last_saved(make_draft(subscriber, member), days_ago=186), days_ago=14)
    # Created long ago but saved last month: the clock runs from the last change.
    edited = last_saved(make_draft(subscriber, member, agent_identifier="A-002"), days_ago=30)

    run()

    assert list(Delegation.objects.values_list("pk", flat=True)) == [edited.pk]
    [event] = deletions()
    assert event.data["ids"] == [idle.public_id]
    assert (event.data["model"], event.data["count"], event.data["period"]) == ("delegations.delegation", 1, "6m")


def test_a_draft_saved_inside_the_period_is_kept(subscriber, member):
    draft = last_saved(make_draft(subscriber, member), days_ago=175)
    run()
    assert Delegation.objects.filter(pk=draft.pk).exists()
    assert not deletions()


def test_a_dry_run_counts_the_idle_drafts_and_deletes_none(subscriber, member):
    draft = noticed(last_saved(make_draft(subscriber, member), days_ago=400), days_ago=20)
    output = run("--dry-run")
    assert f"{KIND}: 保存期間 6 か月、" in output and "より前のもの 1 件" in output
    assert Delegation.objects.filter(pk=draft.pk).exists()
    assert not deletions()


def test_a_delegation_past_its_draft_is_never_touched_however_old(subscriber, member, trusted_pki):
    finalised = last_saved(make_finalised(subscriber, member), days_ago=3650)
    active = last_saved(make_active(subscriber, member, trusted_pki, agent_identifier="A-002"), days_ago=3650)
    submitted = last_saved(
        make_finalised(subscriber, member, agent_identifier="A-003"),
        days_ago=3650,
        status=Delegation.Status.SUBMITTED,
    )
    rejected = last_saved(
        make_finalised(subscriber, member, agent_identifier="A-004"),
        days_ago=3650,
        status=Delegation.Status.REJECTED,
    )

    assert "より前のもの 0 件" in run("--dry-run")
    run()

    kept = {finalised.pk, active.pk, submitted.pk, rejected.pk}
    assert set(Delegation.objects.values_list("pk", flat=True)) == kept
    assert not deletions()


def test_an_idle_update_draft_goes_and_its_original_stays_registered(subscriber, member, trusted_pki):
    original = make_active(subscriber, member, trusted_pki)
    update = noticed(last_saved(services.start_update(original, actor=member), days_ago=186), days_ago=20)

    run()

    assert not Delegation.objects.filter(pk=update.pk).exists()
    original.refresh_from_db()
    assert original.is_registered and original.superseded_by_id is None
    # The update may be started afresh.
    assert services.start_update(original, actor=member).replaces_id == original.pk


def test_a_draft_finalised_after_the_run_listed_it_is_not_deleted(subscriber, member, after_retention_lists):
    # The run lists the idle drafts, then deletes them; one finalised in between is no draft any more.
    draft = noticed(last_saved(make_draft(subscriber, member), days_ago=186), days_ago=20)
    after_retention_lists(lambda: services.finalise_draft(draft, actor=member))
    run()
    assert Delegation.objects.get(pk=draft.pk).awaits_signatures
    assert not deletions()


def test_the_list_tells_the_subscriber_when_an_untouched_draft_is_deleted(client, subscriber, member, settings):
    client.force_login(member)
    notice = (
        "保存したまま 6 か月変更のない下書きは、自動的に削除されます。削除の 14 日以上前に、メールでお知らせします。"
    )
    assert notice not in client.get(reverse("delegations:list")).content.decode()  # no draft, no notice
    make_draft(subscriber, member)
    assert notice in client.get(reverse("delegations:list")).content.decode()
    # The page says the period and the lead the service really keeps.
    settings.RETENTION_PERIODS = {**settings.RETENTION_PERIODS, KIND: "3m"}
    settings.DELEGATION_IDLE_DRAFT_NOTICE_DAYS = 10
    page = client.get(reverse("delegations:list")).content.decode()
    assert "保存したまま 3 か月変更のない下書き" in page and "削除の 10 日以上前に" in page


# --- the notice before the deletion -----------------------------------------------------------------


def japanese_date(day) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def test_the_members_are_told_once_with_the_day_of_the_deletion(subscriber, member):
    # 6 months less the 14 days' lead is about 168 days: a draft saved 175 days ago is told now, one
    # saved 150 days ago not yet.
    idle = last_saved(make_draft(subscriber, member, agent_name="下書き 太郎"), days_ago=175)
    recent = last_saved(make_draft(subscriber, member, agent_identifier="A-002"), days_ago=150)
    mail.outbox.clear()

    output = run()

    deletes_on = today_in_japan(timezone.now()) + timedelta(days=14)
    [notice] = notices()
    assert notice.subject == "【MynaTrust e-LOA】電子委任状の下書きが削除されます"
    assert member.email in notice.to
    assert idle.public_id in notice.body and "下書き 太郎" in notice.body
    assert f"{japanese_date(deletes_on)}に自動的に削除されます" in notice.body
    assert "下書きを保存すると削除されません" in notice.body
    assert "UTC" not in notice.body
    assert "削除前のお知らせを 1 件送りました" in output
    idle.refresh_from_db()
    assert idle.idle_notice_sent_at is not None and Delegation.objects.filter(pk=idle.pk).exists()
    # Recording the notice is no save of the draft: its idle clock does not move.
    assert idle.updated_at < timezone.now() - timedelta(days=174)
    [event] = events("delegations.draft.idle_notice_sent")
    assert event.subject_id == idle.public_id and event.data["deletes_on"] == deletes_on.isoformat()
    assert event.data["recipients"] == 1
    recent.refresh_from_db()
    assert recent.idle_notice_sent_at is None

    run()  # the next run: the draft was told, nothing twice
    assert len(notices()) == 1 and len(events("delegations.draft.idle_notice_sent")) == 1


def test_the_notice_reads_in_english_through_the_catalogue(subscriber, member):
    idle = last_saved(make_draft(subscriber, member), days_ago=175)
    mail.outbox.clear()
    now = timezone.now()
    with translation.override("en"):
        assert retention.send_notices(IDLE_DRAFTS, now).sent == 1
        said = date_format(today_in_japan(now) + timedelta(days=14))
    [notice] = notices()
    assert notice.subject == "【MynaTrust e-LOA】A delegation draft will be deleted"
    assert idle.public_id in notice.body
    assert f"will be deleted automatically on {said}" in notice.body
    assert "Saving the draft keeps it" in notice.body
    assert "下書き" not in notice.body


def test_saving_the_draft_again_needs_a_new_notice(subscriber, member):
    draft = noticed(last_saved(make_draft(subscriber, member), days_ago=190), days_ago=20)
    services.edit_draft(draft, actor=member, values=draft_values(powers="見積書の受領"))
    mail.outbox.clear()

    run()  # saved just now: neither deleted nor told

    assert Delegation.objects.filter(pk=draft.pk).exists() and not notices()
    # Idle again for 190 days: the notice of the earlier idle period, older than the save, does not
    # count. The draft is told anew and kept until the lead has passed.
    draft = last_saved(draft, days_ago=190)
    Delegation.objects.filter(pk=draft.pk).update(idle_notice_sent_at=draft.updated_at - timedelta(days=20))
    run()
    assert Delegation.objects.filter(pk=draft.pk).exists() and not deletions()
    assert len(notices()) == 1


def test_a_draft_is_never_deleted_before_its_notice_is_the_lead_old(subscriber, member):
    never_told = last_saved(make_draft(subscriber, member), days_ago=400)
    told_lately = noticed(
        last_saved(make_draft(subscriber, member, agent_identifier="A-002"), days_ago=400), days_ago=13
    )
    mail.outbox.clear()

    assert "より前のもの 0 件" in run("--dry-run")
    run()

    assert set(Delegation.objects.values_list("pk", flat=True)) == {never_told.pk, told_lately.pk}
    assert not deletions()
    # The draft nobody was told about is told now, to be deleted 14 days on; the other not again.
    [notice] = notices()
    assert never_told.public_id in notice.body

    noticed(never_told, days_ago=14)
    noticed(told_lately, days_ago=14)
    run()
    assert not Delegation.objects.exists()
    [event] = deletions()
    assert sorted(event.data["ids"]) == sorted([never_told.public_id, told_lately.public_id])


def test_a_draft_told_then_saved_is_not_deleted_on_the_announced_day(subscriber, member):
    # Told 14 days ago, then saved (its notice older than the save): kept, and not told again yet.
    draft = noticed(last_saved(make_draft(subscriber, member), days_ago=400), days_ago=14)
    Delegation.objects.filter(pk=draft.pk).update(updated_at=timezone.now() - timedelta(days=10))
    mail.outbox.clear()
    run()
    assert Delegation.objects.filter(pk=draft.pk).exists() and not deletions() and not notices()


def test_a_dry_run_sends_no_notice(subscriber, member):
    draft = last_saved(make_draft(subscriber, member), days_ago=175)
    mail.outbox.clear()

    output = run("--dry-run")

    assert "削除前のお知らせの対象 1 件（送っていません）" in output
    assert not notices() and not events("delegations.draft.idle_notice_sent")
    draft.refresh_from_db()
    assert draft.idle_notice_sent_at is None


# --- a notice that cannot be sent -----------------------------------------------------------------

DISCONNECTED = {"default": {"BACKEND": "mynatrust.tests.mail_backends.DisconnectedBackend"}}


def test_a_notice_that_cannot_be_sent_is_recorded_and_the_run_goes_on_then_fails(subscriber, member, settings):
    # Idle 400 days and never told: due a notice, and past the period.
    draft = last_saved(make_draft(subscriber, member), days_ago=400)
    expired = Session.objects.create(
        session_key="expired" + "0" * 25, session_data="x", expire_date=timezone.now() - timedelta(hours=1)
    )
    working, settings.MAILERS = settings.MAILERS, DISCONNECTED
    out, err = io.StringIO(), io.StringIO()

    with pytest.raises(SystemExit) as exited:
        call_command("apply_retention", "--kind", KIND, "--kind", "sessions.expired", stdout=out, stderr=err)

    assert exited.value.code == 1
    # The kind after it is still removed; the draft is neither marked nor deleted.
    assert not Session.objects.filter(pk=expired.pk).exists()
    assert "  1 件を削除しました" in out.getvalue()
    draft.refresh_from_db()
    assert draft.idle_notice_sent_at is None
    assert not events("delegations.draft.idle_notice_sent") and not deletions()
    [failure] = events("retention.notice_failed")
    assert failure.data["kind"] == KIND and failure.data["id"] == draft.public_id
    assert failure.data["error"] == "SMTPServerDisconnected"
    assert failure.data["reason"] == "Connection unexpectedly closed"
    said = err.getvalue()
    assert "送れなかった削除前のお知らせ" in said and f"{KIND}: 1 件" in said
    assert "Traceback" not in said and "sessions.expired" not in said
    # The same summary in English through the catalogue.
    err = io.StringIO()
    with translation.override("en"), pytest.raises(SystemExit):
        call_command("apply_retention", "--kind", KIND, stdout=io.StringIO(), stderr=err)
    assert "Notices before deletion not sent, per kind." in err.getvalue()
    assert f"{KIND}: 1\n" in err.getvalue() and "件" not in err.getvalue()

    # The next run, with the mail working again, tells the draft.
    settings.MAILERS = working
    mail.outbox.clear()
    assert "削除前のお知らせを 1 件送りました" in run()
    [notice] = notices()
    assert draft.public_id in notice.body
    draft.refresh_from_db()
    assert draft.idle_notice_sent_at is not None
    assert Delegation.objects.filter(pk=draft.pk).exists()


# --- the mail server down or refusing, through the real SMTP backend ---------------------------------


def run_failing(*kinds: str) -> tuple[str, str]:
    """Run the command for ``kinds`` expecting status 1; its stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("apply_retention", *[arg for kind in kinds for arg in ("--kind", kind)], stdout=out, stderr=err)
    assert exited.value.code == 1
    return out.getvalue(), err.getvalue()


NOT_TRIED_OUT = "メールサーバーに接続できないか送信元アドレスを拒否されたため、削除前のお知らせ 3 件は送っていません"
NOT_TRIED_ERR = "（うち 3 件はメールサーバーに接続できないか送信元アドレスを拒否されたため送っていません）"


@pytest.mark.parametrize("behaviour", [SILENT, DROPS, "closed"])
def test_a_mail_server_that_cannot_be_reached_is_tried_once_and_the_rest_left_for_the_next_run(
    subscriber, member, settings, behaviour
):
    # Three drafts idle 400 days and never told: each due a notice. An expired session: due, untold.
    drafts = [last_saved(make_draft(subscriber, member), days_ago=400) for _n in range(3)]
    expired = Session.objects.create(
        session_key="expired" + "0" * 25, session_data="x", expire_date=timezone.now() - timedelta(hours=1)
    )
    with contextlib.ExitStack() as stack:
        server = closed_port() if behaviour == "closed" else stack.enter_context(mail_server(behaviour))
        settings.MAILERS = server.mailers(timeout=0.3)

        out, err = run_failing(KIND, "sessions.expired")

    # One connection tried for the whole run (none accepted on a closed port), not one per draft.
    assert server.connections == (0 if behaviour == "closed" else 1)
    # One event says how many were not tried and why; no draft is marked, deleted or failed alone.
    assert not events("retention.notice_failed")
    [left] = events("retention.notices_not_tried")
    assert left.subject_id == KIND and left.data["kind"] == KIND and left.data["count"] == 3
    expected = "ConnectionRefusedError" if behaviour == "closed" else "SMTPServerDisconnected"
    assert left.data["error"] == expected and left.data["reason"]
    assert set(left.data) <= {"kind", "count", "error", "reason", "entry_point"}
    assert not Delegation.objects.filter(pk__in=[d.pk for d in drafts], idle_notice_sent_at__isnull=False).exists()
    assert Delegation.objects.filter(pk__in=[d.pk for d in drafts]).count() == 3
    assert not events("delegations.draft.idle_notice_sent") and not deletions()
    # What needs no notice is still removed; the run fails at its end and says why.
    assert not Session.objects.filter(pk=expired.pk).exists()
    assert NOT_TRIED_OUT in out and f"{KIND}: 3 件{NOT_TRIED_ERR}" in err
    assert "Traceback" not in err


def test_a_mail_server_that_refuses_the_sender_is_asked_once_and_the_rest_left_for_the_next_run(
    subscriber, member, settings
):
    """The server answers but refuses the service's own address (MAIL FROM): no notice can go out,
    as when it cannot be reached. One refusal stops the notices; they stay untold, on one event."""
    drafts = [last_saved(make_draft(subscriber, member), days_ago=400) for _n in range(3)]
    expired = Session.objects.create(
        session_key="expired" + "0" * 25, session_data="x", expire_date=timezone.now() - timedelta(hours=1)
    )
    with mail_server(REFUSES_SENDER) as server:
        settings.MAILERS = server.mailers()

        out, err = run_failing(KIND, "sessions.expired")

    assert (server.connections, server.senders, server.delivered) == (1, 1, [])
    assert not events("retention.notice_failed")
    [left] = events("retention.notices_not_tried")
    assert left.subject_id == KIND and left.data["count"] == 3 and left.data["error"] == "SMTPSenderRefused"
    assert "sender address rejected" in left.data["reason"]
    assert not Delegation.objects.filter(pk__in=[d.pk for d in drafts], idle_notice_sent_at__isnull=False).exists()
    assert not events("delegations.draft.idle_notice_sent") and not deletions()
    assert not Session.objects.filter(pk=expired.pk).exists()
    assert NOT_TRIED_OUT in out and f"{KIND}: 3 件{NOT_TRIED_ERR}" in err
    # The summary and the event's label in English through the catalogue.
    said = io.StringIO()
    with translation.override("en"):
        with pytest.raises(SystemExit):
            call_command("apply_retention", "--kind", KIND, stdout=io.StringIO(), stderr=said)
        label = str(audit_labels.EVENT_LABELS["retention.notices_not_tried"])
    assert "3 not tried: the mail server cannot be reached or refuses the sender address" in said.getvalue()
    assert "refuses the sender address" in label


def test_a_refused_address_fails_its_own_notice_only_and_the_notices_share_one_connection(
    subscriber, member, other_subscriber, other_member, settings
):
    told = last_saved(make_draft(subscriber, member), days_ago=400)
    refused = last_saved(make_draft(other_subscriber, other_member), days_ago=400)
    with mail_server(refuse="delegations-b") as server:
        settings.MAILERS = server.mailers()

        _out, err = run_failing(KIND)

    assert server.connections == 1
    assert server.delivered == [[member.email]]
    told.refresh_from_db()
    refused.refresh_from_db()
    assert told.idle_notice_sent_at is not None and refused.idle_notice_sent_at is None
    [failure] = events("retention.notice_failed")
    assert failure.data["id"] == refused.public_id and failure.data["error"] == "SMTPRecipientsRefused"
    assert not events("retention.notices_not_tried")
    assert f"{KIND}: 1 件\n" in err and "メールサーバー" not in err
