"""Mail to everyone concerned leaves from a durable outbox, not from the request: the approval of a
public document (or the publication of a notice) queues one row in its own transaction, and the
worker (``manage.py send_mail_outbox``) sends one message per address, tries refused ones again
later, gives up after a limit, and records each step. On PostgreSQL, with real transactions."""

from __future__ import annotations

import threading
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

import audit
from audit.models import AuditEvent
from conftest import make_staff, make_user
from mynatrust.outbox import services as outbox
from mynatrust.outbox.models import MailAnnouncement, OutboxMessage
from mynatrust.repository import services
from mynatrust.repository.models import DocumentVersion, Notice
from mynatrust.repository.services import RepositoryError

from .mail_backends import TroubledBackend
from .smtp_servers import HANGS_UP, REFUSES_SENDER, mail_server

pytestmark = pytest.mark.django_db

TROUBLED = {"default": {"BACKEND": "mynatrust.tests.mail_backends.TroubledBackend"}}


@pytest.fixture(autouse=True)
def _backend_reset() -> Any:
    TroubledBackend.reset()
    yield
    TroubledBackend.reset()


@pytest.fixture
def people() -> list[str]:
    addresses = ["a@subscriber.example.jp", "b@subscriber.example.jp", "c@recipient.example.jp"]
    for address in addresses:
        make_user(address, "recipient" if "recipient" in address else "subscriber")
    make_user("gone@subscriber.example.jp", "subscriber", is_active=False)
    return addresses


def _revision(effective_in: timedelta = timedelta(days=40)) -> tuple[DocumentVersion, Any]:
    operator = make_staff("service_operator", "operator@staff.example.jp")
    manager = make_staff("service_manager", "manager@staff.example.jp")
    doc = services.draft_document(
        kind="terms",
        version="2.0",
        title="利用約款 2.0",
        body="第1条 改定後",
        effective_at=timezone.now() + effective_in,
        change_summary="第1条の改定",
        actor=operator,
    )
    return doc, manager


def events(event_type: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event_type=event_type).order_by("id"))


def test_an_approval_queues_its_announcement_and_sends_nothing_in_the_request(
    people, mailoutbox, django_capture_on_commit_callbacks
):
    doc, manager = _revision()
    with django_capture_on_commit_callbacks(execute=True):
        services.approve_document(doc, actor=manager)
    assert mailoutbox == []  # nothing leaves from the approving request
    announcement = MailAnnouncement.objects.get()
    assert announcement.document_id == doc.pk and announcement.state == MailAnnouncement.State.QUEUED
    assert "利用約款の改定のお知らせ" in announcement.subject and "/repository/terms/2.0/" in announcement.body
    assert len(events("mail.announcement.queued")) == 1

    done = outbox.run_once()
    assert (done.expanded, done.sent, done.finished) == (1, 3, 1)
    assert sorted(m.to[0] for m in mailoutbox) == people and all(len(m.to) == 1 for m in mailoutbox)
    announcement.refresh_from_db()
    assert (announcement.state, announcement.recipients, announcement.sent, announcement.failed) == ("done", 3, 3, 0)
    assert events("mail.announcement.started")[0].data["recipients"] == 3
    mailed = events("repository.document.mailed")
    assert len(mailed) == 1 and mailed[0].data["sent"] == 3 and mailed[0].data["failed"] == 0
    assert outbox.run_once().worked is False  # a second pass sends nothing again
    assert len(mailoutbox) == 3


def test_an_approval_that_is_refused_queues_nothing(people):
    doc, _manager = _revision()
    with pytest.raises(RepositoryError):
        services.approve_document(doc, actor=doc.drafted_by)  # the drafter may not approve
    assert not MailAnnouncement.objects.exists()


def test_a_version_in_force_at_once_is_not_queued(people):
    doc, manager = _revision(timedelta(0))
    services.approve_document(doc, actor=manager)
    assert not MailAnnouncement.objects.exists()


def test_a_refused_address_is_tried_again_later_and_given_up_after_the_limit(people, settings):
    settings.MAILERS = TROUBLED
    settings.MAIL_OUTBOX_MAX_ATTEMPTS = 3
    make_user("flaky@subscriber.example.jp", "subscriber")
    make_user("bounce@subscriber.example.jp", "subscriber")
    doc, manager = _revision()
    services.approve_document(doc, actor=manager)

    start = timezone.now()
    first = outbox.run_once(now=start)
    assert (first.sent, first.retrying, first.given_up, first.finished) == (3, 2, 0, 0)
    assert events("mail.message.retrying")[0].data["count"] == 2
    waiting = OutboxMessage.objects.filter(status="pending")
    assert {m.to for m in waiting} == {"flaky@subscriber.example.jp", "bounce@subscriber.example.jp"}
    assert all(m.next_attempt_at >= start + timedelta(minutes=1) for m in waiting)
    assert "SMTPRecipientsRefused" in waiting[0].last_error
    assert outbox.run_once(now=start + timedelta(seconds=30)).sent == 0  # not due yet

    second = outbox.run_once(now=start + timedelta(minutes=1, seconds=1))
    assert (second.sent, second.retrying) == (1, 1)  # flaky accepted on its second try
    third = outbox.run_once(now=start + timedelta(minutes=4))
    assert (third.given_up, third.finished) == (1, 1)  # bounce: third try, the limit
    gave_up = events("mail.message.given_up")
    assert [e.data["to"] for e in gave_up] == ["bounce@subscriber.example.jp"] and gave_up[0].data["attempts"] == 3
    mailed = events("repository.document.mailed")[0]
    assert (mailed.data["sent"], mailed.data["failed"]) == (4, 1)
    assert sorted(m.to[0] for m in mail.outbox) == sorted([*people, "flaky@subscriber.example.jp"])


def test_an_unreachable_mail_server_loses_nothing(people, settings):
    settings.MAILERS = TROUBLED
    doc, manager = _revision()
    services.approve_document(doc, actor=manager)
    TroubledBackend.down = True
    start = timezone.now()
    assert outbox.run_once(now=start).retrying == 3
    assert "ConnectionRefusedError" in OutboxMessage.objects.first().last_error  # type: ignore[union-attr]
    TroubledBackend.down = False
    later = outbox.run_once(now=start + timedelta(minutes=2))
    assert (later.sent, later.finished) == (3, 1)
    assert OutboxMessage.objects.filter(status="sent").count() == 3


def test_the_backoff_doubles_up_to_an_hour():
    assert [outbox.backoff(n) for n in (1, 2, 3)] == [timedelta(minutes=m) for m in (1, 2, 4)]
    assert outbox.backoff(12) == timedelta(hours=1)


def test_a_notice_is_mailed_through_the_outbox_too(people, mailoutbox):
    manager = make_staff("service_manager", "manager@staff.example.jp")
    notice = services.save_notice_draft(
        services.Notice(
            kind="termination",
            title="サービス終了",
            body="終了します。",
            service_end_date=(timezone.localdate() + timedelta(days=100)),
        ),
        actor=manager,
    )
    services.publish_notice(notice, actor=manager)
    assert mailoutbox == []
    call_command("send_mail_outbox", stdout=StringIO())
    assert sorted(m.to[0] for m in mailoutbox) == people
    assert events("repository.notice.mailed")[0].data["sent"] == 3


def test_the_command_reports_what_waits_and_what_it_sent(people):
    doc, manager = _revision()
    services.approve_document(doc, actor=manager)
    status = StringIO()
    call_command("send_mail_outbox", "--status", stdout=status)
    assert "送信するメール（送信待ち）：1 件" in status.getvalue()
    out = StringIO()
    call_command("send_mail_outbox", "--batch", "2", stdout=out)
    assert "送信 3 通" in out.getvalue() and "送り終えたメール 1 件" in out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_never_send_a_message_twice(settings):
    settings.MAILERS = TROUBLED
    TroubledBackend.delay = 0.01
    for i in range(30):
        make_user(f"m{i}@subscriber.example.jp", "subscriber")
    doc, manager = _revision()
    services.approve_document(doc, actor=manager)
    outbox.expand_queued()
    errors: list[BaseException] = []

    def work() -> None:
        try:
            outbox.run_once(batch_size=4)
        except BaseException as exc:  # noqa: BLE001  (reported by the assertion below)
            errors.append(exc)
        finally:
            connection.close()

    workers = [threading.Thread(target=work) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert errors == []
    addressed = [m.to[0] for m in mail.outbox]
    assert len(addressed) == 30 and len(set(addressed)) == 30
    assert sum(TroubledBackend.tries.values()) == 30
    assert MailAnnouncement.objects.get().state == MailAnnouncement.State.DONE
    assert len(events("repository.document.mailed")) == 1


def test_the_health_check_warns_when_mail_waits_too_long(people, settings):
    from mynatrust.operations import health

    assert health.mail_outbox() == health.OK  # nothing waits
    doc, manager = _revision()
    services.approve_document(doc, actor=manager)
    assert health.mail_outbox() == health.OK  # just queued
    MailAnnouncement.objects.update(queued_at=timezone.now() - timedelta(minutes=16))
    assert health.mail_outbox() == health.WARN  # no worker has picked it up
    outbox.run_once()
    assert health.mail_outbox() == health.OK


def test_a_mail_to_listed_addresses_goes_to_them_only_and_is_retried(people, settings):
    """A mail decided for a few named addresses (a recipient's end notice) is written with its rows in
    the deciding transaction: the worker sends it to those addresses only (never to everyone), tries
    a refused one again, and closes it with the event named, about the subject given, with its data."""
    settings.MAILERS = TROUBLED
    about = make_user("about@recipient.example.jp", "recipient")
    with transaction.atomic():
        announcement = outbox.queue_mail(
            "件名",
            "本文",
            to=["flaky@recipient.example.jp", "bounce@recipient.example.jp", "flaky@recipient.example.jp"],
            event_type="validity.end_notice.sent",
            about=about,
            details={"delegation_id": "X"},
        )
    assert announcement.audience == MailAnnouncement.Audience.LISTED and announcement.recipients == 2
    status = StringIO()
    call_command("send_mail_outbox", "--status", stdout=status)
    assert "送信するメール（送信中）：1 件" in status.getvalue()
    assert "メッセージ（送信待ち）：2 件" in status.getvalue()
    settings.MAIL_OUTBOX_MAX_ATTEMPTS = 2
    start = timezone.now()
    first = outbox.run_once(now=start)
    assert (first.expanded, first.sent, first.retrying) == (0, 0, 2)  # listed: nothing to expand
    later = outbox.run_once(now=start + timedelta(minutes=2))
    assert (later.sent, later.given_up, later.finished) == (1, 1, 1)
    assert [m.to for m in mail.outbox] == [["flaky@recipient.example.jp"]]  # none of the people
    [given_up] = events("mail.message.given_up")
    [done] = events("validity.end_notice.sent")
    for event in (given_up, done):
        assert (event.subject_type, event.subject_id) == ("mynatrust.user", str(about.pk))
    assert (done.data["sent"], done.data["failed"], done.data["delegation_id"]) == (1, 1, "X")
    assert outbox.run_once(now=start + timedelta(hours=2)).worked is False


def test_a_mail_to_listed_addresses_refuses_an_empty_list():
    with pytest.raises(ValueError, match="address"):
        outbox.queue_mail("件名", "本文", to=[], event_type="validity.end_notice.sent")
    assert not MailAnnouncement.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_decision_notice_is_tried_once_committed_and_only_trouble_is_recorded(settings):
    """A decision's notice (``outbox.notify_after_commit``) leaves as soon as the deciding transaction
    commits, through the worker's claim of its rows: nothing leaves before the commit, nothing after
    a rollback; sent at once it adds no event (the decision is the record), while an address refused
    for good is given up and the notice's end is ``mail.sent_late`` with the numbers."""
    settings.MAILERS = TROUBLED
    settings.MAIL_OUTBOX_MAX_ATTEMPTS = 2
    about = make_user("about@subscriber.example.jp", "subscriber")
    with pytest.raises(RuntimeError), transaction.atomic():
        outbox.notify_after_commit("取り消した決定", "本文", ["a@subscriber.example.jp"], about=about)
        raise RuntimeError
    assert not MailAnnouncement.objects.exists() and mail.outbox == []

    with transaction.atomic():
        outbox.notify_after_commit("決定の通知", "本文", ["a@subscriber.example.jp"], about=about)
        assert mail.outbox == []  # not before the commit
    assert [m.to for m in mail.outbox] == [["a@subscriber.example.jp"]]
    assert MailAnnouncement.objects.get().state == MailAnnouncement.State.DONE
    assert events("mail.sent_late") == [] and outbox.run_once().worked is False

    outbox.notify_after_commit(
        "決定の通知", "本文", ["ok@subscriber.example.jp", "bounce@subscriber.example.jp"], about=about
    )
    assert [m.to for m in mail.outbox][-1] == ["ok@subscriber.example.jp"]
    [retrying] = events("mail.message.retrying")
    assert (retrying.subject_type, retrying.subject_id) == ("mynatrust.user", str(about.pk))
    assert (retrying.data["count"], retrying.data["mail_subject"]) == (1, "決定の通知")
    assert outbox.run_once(now=timezone.now() + timedelta(minutes=2)).given_up == 1
    [given_up] = events("mail.message.given_up")
    [late] = events("mail.sent_late")
    assert given_up.data["to"] == "bounce@subscriber.example.jp"
    assert (late.data["sent"], late.data["failed"], late.data["mail_subject"]) == (1, 1, "決定の通知")
    assert (late.subject_type, late.subject_id) == ("mynatrust.user", str(about.pk))


@pytest.mark.parametrize(
    ("behaviour", "error"),
    [(REFUSES_SENDER, "SMTPSenderRefused"), (HANGS_UP, "SMTPServerDisconnected")],
)
def test_a_failure_of_the_whole_connection_marks_the_rest_of_the_batch_at_once(settings, behaviour, error):
    """A mail server that refuses the sender, or hangs up, would fail every message of the connection:
    the first failure is given to the whole batch, the rest is not offered one by one."""
    addresses = [f"m{i}@subscriber.example.jp" for i in range(5)]
    with transaction.atomic():
        outbox.queue_mail("件名", "本文", to=addresses, event_type="mail.sent_late")
    with mail_server(behaviour) as server:
        settings.MAILERS = server.mailers()
        done = outbox.run_once()
        offered = server.senders
    assert (done.sent, done.retrying, offered) == (0, 5, 1)
    errors = {m.last_error for m in OutboxMessage.objects.all()}
    assert len(errors) == 1 and errors.pop().startswith(error), errors
    assert OutboxMessage.objects.filter(attempts=1, status="pending").count() == 5


def test_a_pass_that_fails_several_mails_names_each_of_them(people, settings):
    """One ``mail.message.retrying`` per pass; when its failures belong to several mails it lists each
    (what it is about, its subject line, its count), at most 20, with the count of the rest."""
    settings.MAILERS = TROUBLED
    TroubledBackend.down = True
    about = [make_user(f"about{i}@subscriber.example.jp", "subscriber") for i in range(22)]
    with transaction.atomic():
        for i, user in enumerate(about):
            addresses = [f"x{i}@subscriber.example.jp"] + ([f"y{i}@subscriber.example.jp"] if i == 0 else [])
            outbox.queue_mail(f"決定の通知 {i}", "本文", to=addresses, event_type="mail.sent_late", about=user)
    assert outbox.run_once().retrying == 23
    [retrying] = events("mail.message.retrying")
    assert retrying.data["count"] == 23 and retrying.subject_type == ""
    listed = retrying.data["mails"]
    assert len(listed) == 20 and retrying.data["mails_more"] == 2
    assert listed[0] == {
        "subject_type": "mynatrust.user",
        "subject_id": str(about[0].pk),
        "mail_subject": "決定の通知 0",
        "count": 2,
    }
    assert [m["mail_subject"] for m in listed] == [f"決定の通知 {i}" for i in range(20)]


def test_a_failing_pass_looks_up_what_its_mails_are_about_in_a_fixed_number_of_queries(settings):
    """``mail.message.retrying`` names what each mail of the pass is about; for announcements (a
    notice, a public document's version) that is a row of its own, looked up for all the mails of
    each kind at once: a pass failing five mails costs the queries of a pass failing two."""
    settings.MAILERS = TROUBLED
    TroubledBackend.down = True
    make_user("a@subscriber.example.jp", "subscriber")
    doc, _manager = _revision()
    operator = make_staff("service_operator", "notices@staff.example.jp")

    def failing_pass(first: int, mails: int) -> tuple[int, list[Any], AuditEvent]:
        """Queue ``mails`` announcements (the first about ``doc``, the rest each about a notice of
        its own), then one pass that fails them all: its queries, the subjects and its event."""
        subjects: list[Any] = [doc]
        with transaction.atomic():
            subjects += [
                Notice.objects.create(kind="incident", title=f"障害 {i}", body="本文", created_by=operator)
                for i in range(first + 1, first + mails)
            ]
            for i, about in enumerate(subjects, start=first):
                outbox.queue_announcement(
                    event_type="repository.notice.mailed",
                    subject=f"お知らせ {i}",
                    body="本文",
                    **{"document" if about is doc else "notice": about},
                )
        outbox.expand_queued()
        with CaptureQueriesContext(connection) as queries:
            assert outbox.run_once().retrying == mails
        return len(queries), subjects, events("mail.message.retrying")[-1]

    two, _subjects, _event = failing_pass(0, 2)
    five, subjects, retrying = failing_pass(10, 5)
    assert five == two, (two, five)
    assert retrying.data["mails"] == [
        {
            "subject_type": audit.subject_of(about)[0],
            "subject_id": audit.subject_of(about)[1],
            "mail_subject": f"お知らせ {i}",
            "count": 1,
        }
        for i, about in enumerate(subjects, start=10)
    ]
    assert retrying.data["count"] == 5 and retrying.data["mails_more"] == 0 and retrying.subject_type == ""
