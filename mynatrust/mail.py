"""Mail that follows a decision and holds a secret link: an invitation, a sign-up's confirmation
link, a delegation's acceptance link, a password reset or a staff account's first sign-in link.
Their tokens are kept only hashed, so the mail itself must not wait in the database: it is sent
once the transaction that decided it has committed (at once outside one), so a rolled-back decision
mails nothing.

Not durable, then; nor is the answer to a sign-up with an address that already has an account,
which stands in for the confirmation mail and so must leave the same way. The other mails are: the
notices of a decision (a delegation registered or revoked, an application approved, a subscriber
suspended, a recipient organisation approved ...), which hold no secret (their links need signing
in) and must reach the people concerned (operating rules §2.3.2(4)), go through the durable
outbox's ``notify_after_commit`` (mynatrust.outbox.services): queued with the decision, tried as soon
as it commits, retried by the worker while the mail server is down. So do announcements to everyone
and a recipient's end notice.

A mail the server refuses (down, a dropped connection, a refused address) never turns what was
already done into an error page, nor stops a command's loop over its recipients: it is logged and
put on the record as ``mail.not_sent`` (the system's: to whom, the subject line, what the mail is
about and the error; never the body, which may hold a link that signs in or confirms). Whoever
needs it can then ask again (a new invitation, a new sign-up, a password reset).

``send`` mails at once, with the same care, where no transaction decides anything (a password
reset). ``send_now`` is for a mail that must have left before anything is recorded of it (the notice
that gates a removal, mynatrust.operations.retention): it raises, inside the caller's transaction.
``mark_once_sent`` wraps it for a daily reminder: it marks the record as reminded and sends in one
transaction, so a refused mail leaves the record unmarked (tried again on the next run) and is
recorded as ``mail.not_sent`` once that transaction has rolled back. ``record_not_sent`` is the one
way a refusal is recorded.

``one_connection()`` makes every ``send_now`` inside it use one connection to the mail server
(opened once, closed at the end) instead of one per mail, and keeps the connection-level error that
ended it (``Connection.lost``: the server unreachable, silent or dropping the connection, as opposed
to a refusal of one address or message): from then on ``send_now`` raises ``MailServerUnreachable``
at once, so a run of many mails waits for the server's timeout once, not once per mail.
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.core.mail import EmailMessage, mailers, send_mail
from django.db import transaction

import audit
from kernel.errors import first_line

logger = logging.getLogger(__name__)

# What a mail server's refusal raises: smtplib's errors and socket errors are OSErrors; Django's
# message refuses a malformed address with ValueError.
REFUSALS = (OSError, ValueError)


def send_unstored_after_commit(subject: str, body: str, to: Iterable[str], *, about: Any = None) -> None:
    """Mail ``to`` once the current transaction commits, without ever storing it (so not durable: for
    a mail holding a secret link, or a refused upload's notice, of which nothing is kept); a refusal
    is recorded, never raised. ``about``: the model instance the mail concerns (the event's subject).
    A decision's notice goes through the outbox's durable ``notify_after_commit`` instead."""
    recipients = list(to)
    if recipients:
        transaction.on_commit(partial(send, subject, body, recipients, about=about))


def send_now(subject: str, body: str, to: Iterable[str]) -> int:
    """Mail ``to`` now and return how many were addressed; a refusal raises."""
    recipients = list(to)
    if recipients:
        shared = _shared.get()
        if shared is None:
            send_mail(subject, body, None, recipients)
        else:
            shared.send(EmailMessage(subject, body, None, recipients))
    return len(recipients)


class MailServerUnreachable(ConnectionError):
    """``send_now`` inside ``one_connection()`` after the connection was lost: nothing was tried."""


def connection_lost(exc: BaseException) -> bool:
    """Whether ``exc`` ended the connection itself (the server gone, silent or hanging up) rather than
    refusing one mail (an address, the sender or the message: the server answered, SMTP goes on)."""
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return True
    return isinstance(exc, OSError) and not isinstance(exc, smtplib.SMTPException)


@dataclass
class Connection:
    """One connection to the mail server shared by the mails sent inside ``one_connection()``;
    ``lost`` is the connection-level error that ended it, if one did."""

    backend: Any
    opened: bool = False
    lost: BaseException | None = None

    def open(self) -> None:
        """Connect (once); a failure raises and is kept as ``lost``."""
        if self.lost is not None:
            raise MailServerUnreachable(first_line(self.lost, 200)) from self.lost
        if self.opened:
            return
        try:
            self.backend.open()
        except OSError as exc:  # unreachable, refused, timed out, or the login or greeting refused
            self.lost = exc
            raise
        self.opened = True

    def send(self, message: EmailMessage) -> None:
        self.open()
        try:
            self.backend.send_messages([message])
        except OSError as exc:
            if connection_lost(exc):
                self.lost = exc
            raise


_shared: ContextVar[Connection | None] = ContextVar("mynatrust_mail_connection", default=None)


@contextlib.contextmanager
def one_connection() -> Iterator[Connection]:
    """Send every ``send_now`` inside the block over one connection (see the module's text)."""
    connection = Connection(mailers.create_connection("default"))
    token = _shared.set(connection)
    try:
        yield connection
    finally:
        _shared.reset(token)
        with contextlib.suppress(OSError):  # what was sent was accepted; a failed QUIT changes nothing
            connection.backend.close()


def send(subject: str, body: str, recipients: list[str], *, about: Any = None) -> None:
    """Mail ``recipients`` now, when nothing is decided with it (a password reset's link); a
    refusal is recorded, never raised."""
    try:
        send_mail(subject, body, None, recipients)
    except REFUSALS as exc:
        record_not_sent(subject, recipients, exc, about=about)


def record_not_sent(subject: str, recipients: Iterable[str], exc: BaseException, *, about: Any = None) -> None:
    """Log a refused mail and record it as ``mail.not_sent`` (the system's: to whom, the subject line,
    what it concerns, the error's first line; never the body). Call it outside any transaction that
    the refusal rolls back, or the record goes with it."""
    recipients = list(recipients)
    error = f"{type(exc).__name__}: {first_line(exc, 300)}"[:300]
    logger.warning("mail not sent to %d address(es): %s", len(recipients), error)
    audit.record("mail.not_sent", actor=audit.SYSTEM, subject=about, to=recipients, mail_subject=subject, error=error)


@dataclass(frozen=True)
class Mail:
    """A mail to send with the record that says it was sent (see ``mark_once_sent``)."""

    subject: str
    body: str
    to: list[str] = field(default_factory=list)
    about: Any = None


@dataclass
class Tally:
    """What a run of reminders came to: mails sent, and mails the server refused (each recorded as
    ``mail.not_sent``, its record left unmarked)."""

    sent: int = 0
    not_sent: int = 0


def mark_once_sent(mark: Callable[[], Mail | None], tally: Tally) -> bool:
    """Run ``mark`` (which records that a mail was sent and returns it, or None when there is nothing
    to send) and send its mail with ``send_now``, in one transaction: the mark commits only once the
    mail has left. A refusal rolls the transaction back, is recorded as ``mail.not_sent`` outside it
    and counted in ``tally``; any other error raises. True when a mail was sent (or had nobody to go to)."""
    mail: Mail | None = None
    try:
        with transaction.atomic():
            mail = mark()
            if mail is None:
                return False
            send_now(mail.subject, mail.body, mail.to)
    except REFUSALS as exc:
        if mail is None:  # raised by ``mark``, not by the mail server
            raise
        record_not_sent(mail.subject, mail.to, exc, about=mail.about)
        tally.not_sent += 1
        return False
    tally.sent += 1
    return True
