"""Mail to everyone concerned, sent from a durable outbox rather than inside the request.

- ``queue_announcement`` runs inside the transaction that decided the mail (a document's approval,
  a notice's publication): one row with the rendered subject and body. If that transaction rolls
  back there is no mail; if it commits the mail will be sent, whatever happens to the web worker.
- ``queue_mail`` does the same for a mail to addresses decided in that transaction (a recipient's
  notice that a delegation it checked has ended): it writes the mail with one row per address at
  once, and from there the worker treats it like any other. With ``at_once`` it is also tried right
  after that transaction commits (``deliver``: the worker's own claim, send and mark, for this
  mail's rows only), so people get it at once while an outage only delays it. That try runs in
  the deciding request, so it waits ``MAIL_AT_ONCE_TIMEOUT`` at most for the mail server, and once
  one finds the server unreachable no host tries at once for ``MAIL_UNREACHABLE_PAUSE`` seconds (a mark
  in the shared cache, ended sooner by a worker pass that sends): the rows wait for the worker.
- ``notify_after_commit`` is that for a decision's notice to the people it concerns (a delegation
  registered, an application approved ...): durable, tried at once, and ``quiet``: the decision is
  already on the record, so only a notice that could not be sent at the first try is recorded
  (``mail.sent_late``, with the numbers sent and not sent). Never for a mail holding a secret link
  (a sign-up confirmation, an invitation, an acceptance link, a password reset): its token must not
  wait in the database (mynatrust.mail).
- ``run_once`` is one pass of the worker (``manage.py send_mail_outbox``): it expands each queued
  announcement into one row per address (the active subscriber-side and recipient accounts at that
  moment), sends the rows that are due over one SMTP connection per batch (stopping at the first
  batch that loses the mail server), and closes the announcements with nothing left to send. Rows are claimed with ``FOR UPDATE SKIP LOCKED``, so any
  number of workers (one per host) share the work and never send a row twice at once.
- A message the mail server refuses is tried again after 1, 2, 4 … minutes (at most an hour apart)
  up to ``MAIL_OUTBOX_MAX_ATTEMPTS`` times, then given up. When the connection is lost or the
  sender refused, the rest of the batch fails with that error at once, without being offered. Each pass with failures, each message
  given up, and each announcement finished (with the numbers sent and not sent) is an audit event.
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, mailers
from django.db import transaction
from django.db.models import Count, Q, prefetch_related_objects
from django.utils import timezone

import audit
from mynatrust import ratelimit
from mynatrust.mail import connection_lost
from mynatrust.models import User
from mynatrust.outbox.models import MailAnnouncement, OutboxMessage

logger = logging.getLogger(__name__)

BACKOFF_FIRST = timedelta(minutes=1)
BACKOFF_MAX = timedelta(hours=1)
# The mark in the shared cache that, for ``MAIL_UNREACHABLE_PAUSE`` seconds after a try found the
# mail server unreachable, stops every host's tries at once; the first pass of the worker that sends
# ends it sooner.
UNREACHABLE = ("mail-outbox", "unreachable")


def queue_announcement(
    *, event_type: str, subject: str, body: str, document: Any = None, notice: Any = None
) -> MailAnnouncement:
    """Queue one mail to every active subscriber-side and recipient account about ``document`` (a
    public document's version) or ``notice``; call it inside the transaction that decided it.
    ``event_type`` is recorded, with the counts, once all is sent. The outbox knows the repository's
    models only through these two foreign keys, so it imports nothing of the repository."""
    announcement = MailAnnouncement.objects.create(
        event_type=event_type, document=document, notice=notice, subject=subject, body=body
    )
    audit.record(
        "mail.announcement.queued", actor=audit.SYSTEM, subject=document or notice, announcement=announcement.pk
    )
    return announcement


def queue_mail(
    subject: str,
    body: str,
    *,
    to: Iterable[str],
    event_type: str,
    about: Any = None,
    details: dict[str, Any] | None = None,
    at_once: bool = False,
    quiet: bool = False,
) -> MailAnnouncement:
    """Queue one mail to the addresses ``to`` (one message each, so nobody sees the others); call it
    inside the transaction that decided it, which records its own event naming the returned mail.
    ``event_type`` is recorded once all is sent, about ``about`` (a model instance, or the audit
    log's ``(type, id)`` pair), with ``details``, the numbers sent and not sent (with ``quiet``, only
    when some address was not sent at the first try). ``at_once``: try it as soon as the transaction
    commits (``deliver``); what fails is left to the worker. Refuses an empty list (ValueError): a
    mail to nobody would be recorded as sent."""
    addresses = sorted(set(to))
    if not addresses:
        raise ValueError("queue_mail needs at least one address")
    about_type, about_id = audit.subject_of(about)
    with transaction.atomic():
        announcement = MailAnnouncement.objects.create(
            event_type=event_type,
            audience=MailAnnouncement.Audience.LISTED,
            about_type=about_type,
            about_id=about_id,
            details=details or {},
            quiet=quiet,
            subject=subject,
            body=body,
            state=MailAnnouncement.State.SENDING,
            recipients=len(addresses),
        )
        due = announcement.queued_at
        OutboxMessage.objects.bulk_create(
            OutboxMessage(announcement=announcement, to=address, next_attempt_at=due) for address in addresses
        )
    if at_once:
        # robust: the decision has committed; whatever goes wrong here is the worker's to finish.
        transaction.on_commit(partial(deliver, announcement.pk), robust=True)
    return announcement


def notify_after_commit(subject: str, body: str, to: Iterable[str], *, about: Any) -> MailAnnouncement | None:
    """Mail a decision's notice to ``to`` durably: queued in the deciding transaction, tried as soon
    as it commits, retried by the worker if the mail server refuses it. The decision is on the record
    already, so nothing more is recorded unless the notice could not be sent at the first try
    (``mail.sent_late``, about ``about``, with its subject line). For mails without a secret link
    only. None when there is nobody to mail."""
    recipients = list(to)
    if not recipients:
        return None
    return queue_mail(
        subject,
        body,
        to=recipients,
        event_type="mail.sent_late",
        about=about,
        details={"mail_subject": subject},
        at_once=True,
        quiet=True,
    )


def deliver(announcement_id: int) -> Pass:
    """Try the due messages of one mail now, through the worker's claim, send and mark (a row another
    worker holds is skipped, so nothing is sent twice), and close the mail if nothing is left. It
    runs inside a person's request, so it waits ``MAIL_AT_ONCE_TIMEOUT`` at most for the mail server;
    a try that finds the server unreachable marks it so in the shared cache, and while that mark
    lasts (``MAIL_UNREACHABLE_PAUSE`` seconds, on every host) nothing is tried: the rows stay due for the worker.
    Without the cache every mail is tried, each within the short timeout."""
    done = Pass()
    if ratelimit.penalty(*UNREACHABLE) is not None:
        return done
    _send_batches(done, batch_size=settings.MAIL_OUTBOX_BATCH_SIZE, announcement_id=announcement_id, at_once=True)
    done.finished = finish_sent(announcement_id=announcement_id)
    return done


def backoff(attempts: int) -> timedelta:
    """The wait before the next try of a message that has failed ``attempts`` times."""
    return min(BACKOFF_FIRST * 2 ** max(attempts - 1, 0), BACKOFF_MAX)


@dataclass
class Pass:
    expanded: int = 0
    sent: int = 0
    retrying: int = 0
    given_up: int = 0
    finished: int = 0

    @property
    def worked(self) -> bool:
        return bool(self.expanded or self.sent or self.retrying or self.given_up or self.finished)


def run_once(*, batch_size: int | None = None, now: datetime | None = None) -> Pass:
    """One pass of the worker: expand, send what is due (batch after batch), finish."""
    done = Pass()
    done.expanded = expand_queued(now=now)
    _send_batches(done, batch_size=batch_size or settings.MAIL_OUTBOX_BATCH_SIZE, now=now)
    done.finished = finish_sent()
    if done.sent:  # the mail server takes mail again: tries at once resume
        ratelimit.lift(*UNREACHABLE)
    return done


def _send_batches(
    done: Pass,
    *,
    batch_size: int,
    now: datetime | None = None,
    announcement_id: int | None = None,
    at_once: bool = False,
) -> None:
    """Send batch after batch. A pass stops at the first batch that lost the mail server (it could
    not be reached, went silent, hung up or refused the sender): every later batch would wait the
    same timeout for the same failure. What it did not offer keeps its place for the next pass. A
    try at once also stops when another host has found the server unreachable meanwhile."""
    while True:
        sent, retrying, given_up, claimed, lost = send_due(
            batch_size=batch_size, now=now, announcement_id=announcement_id, at_once=at_once
        )
        done.sent += sent
        done.retrying += retrying
        done.given_up += given_up
        if lost or claimed < batch_size or (at_once and ratelimit.penalty(*UNREACHABLE) is not None):
            return


def recipients() -> Any:
    users = User.objects.filter(is_active=True, kind__in=[User.Kind.SUBSCRIBER, User.Kind.RECIPIENT])
    return users.order_by("pk").values_list("email", flat=True)


def expand_queued(*, now: datetime | None = None) -> int:
    """One row per address for each queued announcement to everyone, in the transaction that marks
    it sending (a mail to listed addresses has its rows from the start)."""
    expanded = 0
    while True:
        with transaction.atomic():
            announcement = (
                MailAnnouncement.objects.select_for_update(skip_locked=True)
                .filter(state=MailAnnouncement.State.QUEUED, audience=MailAnnouncement.Audience.EVERYONE)
                .order_by("queued_at", "pk")
                .first()
            )
            if announcement is None:
                return expanded
            rows = [
                OutboxMessage(announcement=announcement, to=email, next_attempt_at=now or timezone.now())
                for email in recipients().iterator(chunk_size=2000)
            ]
            OutboxMessage.objects.bulk_create(rows, batch_size=2000)
            announcement.state = MailAnnouncement.State.SENDING
            announcement.recipients = len(rows)
            announcement.save(update_fields=["state", "recipients"])
            audit.record(
                "mail.announcement.started", actor=audit.SYSTEM, subject=announcement.item, recipients=len(rows)
            )
            expanded += 1


def send_due(
    *, batch_size: int, now: datetime | None = None, announcement_id: int | None = None, at_once: bool = False
) -> tuple[int, int, int, int, bool]:
    """Claim up to ``batch_size`` due messages (of one mail, with ``announcement_id``) and send them
    over one connection (``at_once``: a try inside a request, see ``deliver``). Returns (sent, to
    retry, given up, claimed, whether the batch lost the mail server)."""
    sent = retrying = given_up = 0
    max_attempts = settings.MAIL_OUTBOX_MAX_ATTEMPTS
    with transaction.atomic():
        at = now or timezone.now()
        due = OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING, next_attempt_at__lte=at)
        if announcement_id is not None:
            due = due.filter(announcement_id=announcement_id)
        rows = list(
            due.select_for_update(skip_locked=True, of=("self",))
            .select_related("announcement")
            .order_by("next_attempt_at", "pk")[:batch_size]
        )
        if not rows:
            return 0, 0, 0, 0, False
        failures, lost = _send(rows, at_once=at_once)
        if failures:  # the events below name what each mail is about: one query per kind, not per mail
            _load_items([row.announcement for row in rows if row.pk in failures])
        errors: list[str] = []
        later: list[OutboxMessage] = []
        for row in rows:
            row.attempts += 1
            if row.pk not in failures:
                row.status, row.sent_at, row.last_error = OutboxMessage.Status.SENT, at, ""
                sent += 1
                continue
            row.last_error = failures[row.pk][:500]
            errors.append(row.last_error)
            if row.attempts >= max_attempts:
                row.status = OutboxMessage.Status.FAILED
                given_up += 1
                audit.record(
                    "mail.message.given_up",
                    actor=audit.SYSTEM,
                    subject=row.announcement.item,
                    to=row.to,
                    attempts=row.attempts,
                    error=row.last_error,
                )
            else:
                row.next_attempt_at = at + backoff(row.attempts)
                later.append(row)
        OutboxMessage.objects.bulk_update(rows, ["status", "attempts", "next_attempt_at", "sent_at", "last_error"])
        retrying = len(later)
        if later:
            _record_retrying(later, errors[0])
    if errors:
        logger.warning("mail outbox: %d of %d not sent (%s)", len(errors), len(rows), errors[0])
    return sent, retrying, given_up, len(rows), lost


def _send(rows: list[OutboxMessage], *, at_once: bool = False) -> tuple[dict[int, str], bool]:
    """Send one message per row over one connection; the error of each row not sent, by its id, and
    whether the mail server was lost. A failure that would fail every message of the connection
    (``_fails_every_message``) is the error of the rest of the batch too, without offering them. A
    try at once waits ``MAIL_AT_ONCE_TIMEOUT`` at most, and marks the server unreachable when it is."""
    connection = _connection(at_once=at_once)
    try:
        connection.open()
    except OSError as exc:  # the mail server cannot be reached (smtplib's errors are OSErrors)
        _unreachable(exc, at_once=at_once)
        return {row.pk: _describe(exc) for row in rows}, True
    failures, lost = {}, False
    for index, row in enumerate(rows):
        message = EmailMessage(row.announcement.subject, row.announcement.body, None, [row.to])
        try:
            if not connection.send_messages([message]):
                failures[row.pk] = "not accepted"
        except (OSError, ValueError) as exc:  # refused by the mail server: tried again later
            failures[row.pk] = _describe(exc)
            if _fails_every_message(exc):  # the rest of the batch would fail the same way: not offered
                lost = True
                _unreachable(exc, at_once=at_once)
                failures.update((rest.pk, failures[row.pk]) for rest in rows[index + 1 :])
                break
    with contextlib.suppress(OSError):  # the messages were accepted; a failed QUIT changes nothing
        connection.close()
    return failures, lost


def _connection(*, at_once: bool) -> Any:
    """A connection to the mail server; for a try at once, one that waits ``MAIL_AT_ONCE_TIMEOUT`` at
    most to connect and for each answer (the SMTP backend's ``timeout``; the worker keeps its own)."""
    connection = mailers.create_connection("default")
    if at_once and hasattr(connection, "timeout"):
        short = settings.MAIL_AT_ONCE_TIMEOUT
        connection.timeout = short if connection.timeout is None else min(connection.timeout, short)
    return connection


def _fails_every_message(exc: BaseException) -> bool:
    """Whether ``exc`` fails every message of the connection, not one: the connection lost (the
    server gone, silent or hanging up) or the sender refused (every message has that sender)."""
    return connection_lost(exc) or isinstance(exc, smtplib.SMTPSenderRefused)


def _unreachable(exc: BaseException, *, at_once: bool) -> None:
    """Mark the mail server unreachable for every host's tries at once, when ``exc`` says so."""
    if at_once and connection_lost(exc):
        ratelimit.impose(*UNREACHABLE, settings.MAIL_UNREACHABLE_PAUSE)


# The most mails a ``mail.message.retrying`` event lists by name; the rest are counted.
RETRYING_LISTED = 20


def _load_items(mails: list[MailAnnouncement]) -> None:
    """Fetch what ``mails`` are about (``MailAnnouncement.item``: a public document's version or a
    notice; a mail to listed addresses names its subject by type and id) in one query per foreign
    key, instead of one per mail when each ``item`` is read."""
    prefetch_related_objects(mails, "document", "notice")


def _record_retrying(rows: list[OutboxMessage], error: str) -> None:
    """One event for the messages of a pass left to try again, listing each mail they belong to (what
    it is about, its subject line, how many of its messages: at most ``RETRYING_LISTED``, with the
    count of the rest), so the record ties each delay to its decision. When they all belong to one
    mail to listed addresses (a decision's notice tried at once), the event is also about what that
    mail is about, with its subject line."""
    mails: dict[int, MailAnnouncement] = {row.announcement_id: row.announcement for row in rows}
    counts = Counter(row.announcement_id for row in rows)
    about: dict[str, Any] = {}
    if len(mails) == 1:
        [mail] = mails.values()
        if mail.audience == MailAnnouncement.Audience.LISTED:
            about = {"subject": mail.item, "mail_subject": mail.subject}
    listed = [_named(mail, counts[pk]) for pk, mail in list(mails.items())[:RETRYING_LISTED]]
    audit.record(
        "mail.message.retrying",
        actor=audit.SYSTEM,
        count=len(rows),
        error=error,
        mails=listed,
        mails_more=max(len(mails) - RETRYING_LISTED, 0),
        **about,
    )


def _named(mail: MailAnnouncement, count: int) -> dict[str, Any]:
    """A mail as ``mail.message.retrying`` lists it."""
    subject_type, subject_id = audit.subject_of(mail.item)
    return {"subject_type": subject_type, "subject_id": subject_id, "mail_subject": mail.subject, "count": count}


def finish_sent(*, announcement_id: int | None = None) -> int:
    """Close each announcement (or the one ``announcement_id``) with nothing left to send, recording
    what was sent and what not (a quiet one only when some address was not sent at the first try)."""
    finished = 0
    with transaction.atomic():
        waiting = (
            MailAnnouncement.objects.select_for_update(skip_locked=True)
            .filter(state=MailAnnouncement.State.SENDING)
            .exclude(messages__status=OutboxMessage.Status.PENDING)
        )
        if announcement_id is not None:
            waiting = waiting.filter(pk=announcement_id)
        for announcement in waiting:
            counts = announcement.messages.aggregate(
                sent=Count("pk", filter=Q(status=OutboxMessage.Status.SENT)),
                failed=Count("pk", filter=Q(status=OutboxMessage.Status.FAILED)),
                retried=Count("pk", filter=Q(attempts__gt=1)),
            )
            retried = counts.pop("retried")
            announcement.state = MailAnnouncement.State.DONE
            announcement.sent, announcement.failed = counts["sent"], counts["failed"]
            announcement.finished_at = timezone.now()
            announcement.save(update_fields=["state", "sent", "failed", "finished_at"])
            if not announcement.quiet or retried or counts["failed"]:
                data = {**announcement.details, **counts, "announcement": announcement.pk}
                audit.record(announcement.event_type, actor=audit.SYSTEM, subject=announcement.item, **data)
            finished += 1
    return finished


def oldest_pending_age(now: datetime | None = None) -> timedelta | None:
    """How long the oldest message still to send has been due (None when nothing waits)."""
    at = now or timezone.now()
    oldest = (
        OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING)
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True)
        .first()
    )
    queued = (
        MailAnnouncement.objects.filter(state=MailAnnouncement.State.QUEUED)
        .order_by("queued_at")
        .values_list("queued_at", flat=True)
        .first()
    )
    times = [t for t in (oldest, queued) if t is not None]
    return max(at - min(times), timedelta(0)) if times else None


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"
