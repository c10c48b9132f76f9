"""Record retention (§6.2.9, §2.8(10)): one table of periods in settings (RETENTION_PERIODS), one
registry of the kinds of record that exist, and ``manage.py apply_retention`` that removes or
anonymises what is past its period. See docs/retention.md.

An app adds its records from its AppConfig.ready() (or at import of its models module)::

    from mynatrust.operations import retention

    retention.register(retention.RecordKind(
        name="registry.application",          # key in settings.RETENTION_PERIODS
        label=_("申込書類（契約終了後）"),
        due=lambda cutoff: Application.objects.filter(contract_ended_at__lt=cutoff),
        action=retention.ANONYMISE,            # or DELETE (the default)
        anonymise=lambda qs: qs.update(name="", address=""),   # returns the number of rows
    ))

``due(cutoff)`` returns the queryset of records whose period ended before ``cutoff`` (strictly
before: a record exactly at the edge is kept). The command never calls it with a cutoff later than
now minus the period in settings.

A kind whose records' owners are told before the removal gives ``notice=retention.Notice(due=...,
send=...)``: the command sends the notices due before it removes anything of the kind (a dry run
only counts them). The kind's own ``due`` must then ask for the notice (sent long enough before),
so that nothing is removed untold.
"""

from __future__ import annotations

import logging
import re
import smtplib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Model, QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

import audit
from kernel import Actor
from kernel.errors import first_line
from mynatrust import mail

log = logging.getLogger(__name__)

DELETE = "delete"
ANONYMISE = "anonymise"
# Rows of one run recorded per audit event (ids), so a large run is several events.
AUDIT_BATCH = 500
# The step of a kind that failed (``step`` of ``retention.failed``): counting its due records,
# listing the records to tell before removal, removing or anonymising them.
PLANNING = "planning"
NOTICES = "notices"
REMOVAL = "removal"

_PERIOD = re.compile(r"^\s*(\d+)\s*([ymd])\s*$")


@dataclass(frozen=True)
class Period:
    years: int = 0
    months: int = 0
    days: int = 0

    @classmethod
    def parse(cls, text: str) -> Period:
        """``"10y"``, ``"6m"``, ``"30d"``, ``"0d"``."""
        match = _PERIOD.match(str(text))
        if not match:
            raise ValueError(f"retention period {text!r}: use a number followed by y, m or d (10y, 6m, 30d)")
        number, unit = int(match.group(1)), match.group(2)
        return cls(**{{"y": "years", "m": "months", "d": "days"}[unit]: number})

    def before(self, moment: datetime) -> datetime:
        """``moment`` minus this period, calendar-aware (29 Feb minus 1y is 28 Feb)."""
        from datetime import timedelta

        months = moment.month - 1 - (self.years * 12 + self.months)
        year, month = moment.year + months // 12, months % 12 + 1
        day = min(moment.day, _days_in_month(year, month))
        return moment.replace(year=year, month=month, day=day) - timedelta(days=self.days)

    def __str__(self) -> str:
        parts = [f"{n}{u}" for n, u in ((self.years, "y"), (self.months, "m"), (self.days, "d")) if n]
        return "".join(parts) or "0d"

    def spoken(self) -> str:
        """The period as a person reads it, in the active language: 10 年, 6 か月, 30 日."""
        if self.years:
            return gettext("%(count)s 年") % {"count": self.years}
        if self.months:
            return gettext("%(count)s か月") % {"count": self.months}
        return gettext("%(count)s 日") % {"count": self.days}


def _days_in_month(year: int, month: int) -> int:
    import calendar

    return calendar.monthrange(year, month)[1]


@dataclass(frozen=True)
class RecordKind:
    name: str
    label: Any
    due: Callable[[datetime], QuerySet[Any]]
    action: str = DELETE
    anonymise: Callable[[QuerySet[Any]], int] | None = None
    # How one record is named in the audit log; None: only the count is recorded (e.g. session keys,
    # which are secrets).
    identify: Callable[[Model], str] | None = lambda obj: str(obj.pk)
    # Removes the due records and returns how many; default: queryset.delete().
    remove: Callable[[QuerySet[Any]], int] | None = None
    # Tells the records' owners before removal (see Notice); None: nobody is told.
    notice: Notice | None = None

    def period(self) -> Period:
        return Period.parse(periods()[self.name])


@dataclass(frozen=True)
class Notice:
    """Telling the owner of a record before its removal, a step ``apply_retention`` takes first.

    ``due(now)``: the records to tell now (not yet told for their current period). ``send(record,
    now)``: tell one, mark it told and record it; it is called on the row locked and still due, in
    its own transaction, so a failure (mail down) leaves that record untold for the next run."""

    due: Callable[[datetime], QuerySet[Any]]
    send: Callable[[Any, datetime], None]


_registry: dict[str, RecordKind] = {}

# Kinds in the table that another command removes, never this one.
ELSEWHERE = {
    "audit.event": _("10年保存の媒体に保管して検証したあと、audit_archive --prune が削除します"),
}


def register(kind: RecordKind) -> RecordKind:
    if kind.name not in periods():
        raise ValueError(f"retention kind {kind.name!r} has no period in settings.RETENTION_PERIODS")
    if kind.action == ANONYMISE and kind.anonymise is None:
        raise ValueError(f"retention kind {kind.name!r} anonymises but gives no anonymise function")
    _registry[kind.name] = kind
    return kind


def registered() -> list[RecordKind]:
    return [_registry[name] for name in sorted(_registry)]


def periods() -> dict[str, str]:
    return dict(settings.RETENTION_PERIODS)


@dataclass
class Outcome:
    kind: str
    period: str
    cutoff: datetime | None
    due: int
    applied: int = 0
    note: str | Promise = ""
    # The error that kept the kind's due records from being counted (its traceback logged); the
    # kind is then skipped for the run. Recording it is the caller's: a dry run records nothing.
    error: Exception | None = None


def plan(now: datetime | None = None, *, only: set[str] | None = None) -> list[tuple[RecordKind | None, Outcome]]:
    """What is due now, per kind in the settings table (kinds without a handler are listed too).
    A kind whose due records cannot be counted is listed with its ``error``; the others are still
    counted."""
    now = now or timezone.now()
    rows: list[tuple[RecordKind | None, Outcome]] = []
    for name, text in sorted(periods().items()):
        if only and name not in only:
            continue
        kind = _registry.get(name)
        if kind is None:
            rows.append(
                (None, Outcome(name, text, None, 0, note=ELSEWHERE.get(name, _("処理する仕組みが登録されていません"))))
            )
            continue
        rows.append((kind, _plan_kind(kind, text, now)))
    return rows


def _plan_kind(kind: RecordKind, text: str, now: datetime) -> Outcome:
    """Count what is due of ``kind`` at ``now``, in a transaction of its own so that a database error
    (or a mistake in the kind's condition) leaves the other kinds to be counted."""
    try:
        with transaction.atomic():
            cutoff = kind.period().before(now)
            return Outcome(kind.name, str(kind.period()), cutoff, kind.due(cutoff).count())
    except Exception as exc:  # logged here; recorded by a real run and failing it at its end
        log.exception("retention: the due records of %s could not be counted", kind.name)
        return Outcome(kind.name, text, None, 0, error=exc)


def notices_due(kind: RecordKind, now: datetime) -> int | None:
    """How many records of ``kind`` are to be told of their removal at ``now`` (the dry run's count);
    None when they cannot be listed (the traceback logged, nothing recorded)."""
    if kind.notice is None:
        return 0
    try:
        with transaction.atomic():
            return kind.notice.due(now).count()
    except Exception:  # logged; the dry run says it and fails at its end
        log.exception("retention: the records of %s to tell could not be listed", kind.name)
        return None


# A notice that could not be sent: the mail server unreachable, the connection dropped, an address
# or the sender refused, the login refused. smtplib's errors (smtplib.SMTPException) and the
# socket's (ConnectionError, TimeoutError) are all OSErrors; the project has no mail error of its own.
MAIL_ERRORS: tuple[type[BaseException], ...] = (OSError,)
# A refusal that stops every notice, not the one it came with: the server answered, but refused the
# service's own address (MAIL FROM), which every notice is sent from.
REFUSES_EVERY_NOTICE: tuple[type[BaseException], ...] = (smtplib.SMTPSenderRefused,)
# The reason recorded with a failure: the first line of the error, cut to this length.
REASON_LENGTH = 200


@dataclass
class Notices:
    """What sending the notices of one kind came to: how many were told, how many could not be sent
    (the mail, see MAIL_ERRORS), how many failed on any other error (a mistake in the code) and how
    many were not tried because the mail server could not be reached or refused the sender
    (``not_tried``); ``unlisted`` when the records to tell could not be listed, so that none was told."""

    sent: int = 0
    not_sent: int = 0
    unexpected: int = 0
    not_tried: int = 0
    unlisted: bool = False

    @property
    def failed(self) -> int:
        return self.not_sent + self.unexpected + self.not_tried


@dataclass
class Mailing:
    """The notices of one run: once the mail server could not be reached (``lost``, a connection-level
    error, see ``mail.connection_lost``) or refused the sender (REFUSES_EVERY_NOTICE), no further
    notice of the run is tried."""

    lost: BaseException | None = None


def send_notices(kind: RecordKind, now: datetime, mailing: Mailing | None = None) -> Notices:
    """Tell the owners of the records of ``kind`` due a notice at ``now``, one record per
    transaction, each locked and asked again whether it is still due, all over one connection to
    the mail server.

    A notice that fails rolls back that record's transaction (its mark), so the record stays untold,
    is not due for removal and is tried again on the next run; the failure is the audit event
    ``retention.notice_failed`` and the other records are still told. Any other error than the
    mail's is handled the same way and its traceback logged.

    Once the mail server cannot be reached (the connection cannot be opened, or is lost: not one
    address refused) or refuses the sender (no notice could go out), the records left are not tried
    in this run, nor those of later kinds sharing ``mailing``: they stay untold, and one audit event
    ``retention.notices_not_tried`` says how many and why. The notice the sender was refused for
    counts among them (nothing of that record was refused); a refused address fails its notice only.

    An error while listing the records to tell (the database's, a mistake in the kind's condition)
    tells none: it is recorded as ``retention.failed`` (step ``notices``), its traceback logged, and
    ``unlisted`` set so that the caller says so (records told before stay due for removal)."""
    outcome = Notices()
    if kind.notice is None:
        return outcome
    try:
        with transaction.atomic():
            listed = list(kind.notice.due(now).values_list("pk", flat=True))
    except Exception as exc:  # recorded, logged and failing the run at its end
        log.exception("retention: the records of %s to tell could not be listed", kind.name)
        record_failure(kind, exc, step=NOTICES)
        outcome.unlisted = True
        return outcome
    mailing = mailing or Mailing()
    left = _tell_all(kind, listed, now, mailing, outcome) if listed and mailing.lost is None else len(listed)
    if left:
        assert mailing.lost is not None  # noqa: S101  (only a lost connection leaves records)
        outcome.not_tried = left
        record_error("retention.notices_not_tried", kind, mailing.lost, count=left)
    return outcome


def _tell_all(kind: RecordKind, listed: list[Any], now: datetime, mailing: Mailing, outcome: Notices) -> int:
    """Tell the ``listed`` records over one connection; how many were left untried when it was lost."""
    with mail.one_connection() as connection:
        try:
            connection.open()
        except OSError as exc:  # the server unreachable: nothing tried
            mailing.lost = exc
            return len(listed)
        for done, pk in enumerate(listed, start=1):
            try:
                outcome.sent += _tell_one(kind, pk, now)
            except REFUSES_EVERY_NOTICE as exc:  # this one and the rest: none can go out
                mailing.lost = exc
                return len(listed) - done + 1
            except Exception as exc:  # noqa: BLE001  (recorded, counted and failing the run at its end)
                _notice_failed(kind, pk, now, exc, outcome)
            if connection.lost is not None:
                mailing.lost = connection.lost
                return len(listed) - done
    return 0


def _tell_one(kind: RecordKind, pk: Any, now: datetime) -> int:
    """Tell the owner of one record if it is still due, in its own transaction; 1 if told."""
    assert kind.notice is not None  # noqa: S101  (send_notices asks)
    with transaction.atomic():
        record = kind.notice.due(now).filter(pk=pk).select_for_update(of=("self",)).first()
        if record is None:
            return 0
        kind.notice.send(record, now)
        return 1


def _notice_failed(kind: RecordKind, pk: Any, now: datetime, exc: Exception, outcome: Notices) -> None:
    """Count and record a notice that failed (its transaction already rolled back)."""
    name = _identify(kind, pk, now)
    if isinstance(exc, MAIL_ERRORS):
        outcome.not_sent += 1
    else:
        outcome.unexpected += 1
        log.exception("retention: the notice of %s %s failed on an unexpected error", kind.name, name)
    record_error("retention.notice_failed", kind, exc, id=name)


def _identify(kind: RecordKind, pk: Any, now: datetime) -> str | None:
    """How the audit log names the record ``pk`` of ``kind`` (None for a kind whose ids are secrets)."""
    if kind.identify is None or kind.notice is None:
        return None
    record = kind.notice.due(now).model._default_manager.filter(pk=pk).first()
    return kind.identify(record) if record is not None else str(pk)


@dataclass
class Applied:
    """What removing or anonymising the records of one kind came to: how many were done in how many
    batches that committed, whether the kind stopped on an error (``retention.failed``) and whether
    that error rolled a batch back (``rolled_back``; otherwise the due records could not be listed)."""

    done: int = 0
    batches: int = 0
    failed: bool = False
    rolled_back: bool = False


def apply(kind: RecordKind, cutoff: datetime, *, actor: Actor | None = None) -> Applied:
    """Remove or anonymise the records of ``kind`` that are due at ``cutoff``, one transaction per
    batch, recording each batch (with the ids, where they are not secrets) as ``retention.deleted`` /
    ``retention.anonymised``. ``done`` may be fewer than were listed.

    An error (the database's, a lock timeout, a row another table still points to, or a mistake in
    the kind's code) rolls back the batch it happened in and stops this kind only: the batches
    before it stay done and counted, the failure is the audit event ``retention.failed`` and its
    traceback is logged; the caller goes on with the other kinds."""
    actor = actor or audit.SYSTEM
    outcome = Applied()
    try:
        with transaction.atomic():
            ids = due_ids(kind, cutoff)
        for start in range(0, len(ids), AUDIT_BATCH):
            outcome.rolled_back = True  # until the batch commits
            with transaction.atomic():
                outcome.done += apply_batch(kind, cutoff, ids[start : start + AUDIT_BATCH], actor=actor)
            outcome.batches, outcome.rolled_back = outcome.batches + 1, False
    except Exception as exc:  # recorded, logged and failing the run at its end
        outcome.failed = True
        log.exception("retention: %s failed after %s record(s) removed or anonymised", kind.name, outcome.done)
        record_failure(kind, exc, step=REMOVAL, done=outcome.done, actor=actor)
    return outcome


def record_failure(kind: RecordKind, exc: Exception, *, step: str, done: int = 0, actor: Actor | None = None) -> None:
    """Record that ``kind`` stopped on ``exc`` at ``step`` (PLANNING, NOTICES or REMOVAL) after
    ``done`` records: the audit event ``retention.failed``, never the error's full text."""
    record_error("retention.failed", kind, exc, actor=actor, step=step, done=done)


def record_error(
    event_type: str, kind: RecordKind, exc: BaseException, *, actor: Actor | None = None, **data: Any
) -> None:
    """Record ``event_type`` about ``kind`` with ``data`` and the error: its class and the first line
    of its text (REASON_LENGTH at most), never its full text."""
    audit.record(
        event_type,
        actor=actor or audit.SYSTEM,
        subject=("retention.kind", kind.name),
        kind=kind.name,
        **data,
        error=type(exc).__name__,
        reason=first_line(exc, REASON_LENGTH),
    )


def due_ids(kind: RecordKind, cutoff: datetime) -> list[Any]:
    """The primary keys of the records of ``kind`` due at ``cutoff``, newest first: a ledger
    correction always goes before the entry it references."""
    return sorted(kind.due(cutoff).values_list("pk", flat=True), reverse=True)


def apply_batch(kind: RecordKind, cutoff: datetime, listed: list[Any], *, actor: Actor) -> int:
    """Remove or anonymise those of the ``listed`` records that are still due, and record them.

    A record may stop being due after it was listed (a sign-up confirmed, a draft saved, a contract's
    end corrected): the batch is selected again by the kind's own condition as well as by its keys,
    and its rows are locked until the batch's transaction ends, so a change committed before is seen
    and a change to a locked row waits. What dropped out is left alone and is not counted."""
    queryset = kind.due(cutoff)
    model = queryset.model
    still_due = {obj.pk: obj for obj in queryset.filter(pk__in=listed).select_for_update(of=("self",))}
    chunk = [pk for pk in listed if pk in still_due]
    if not chunk:
        return 0
    names = {pk: kind.identify(obj) for pk, obj in still_due.items()} if kind.identify else {}
    batch = model._default_manager.filter(pk__in=chunk)
    if kind.action == ANONYMISE:
        assert kind.anonymise is not None  # noqa: S101  (checked by register)
        count = kind.anonymise(batch)
        gone = set(chunk)
    else:
        if kind.remove is not None:
            kind.remove(batch)
        else:
            batch.delete()
        # Count what is really gone (a handler may skip rows another app still protects).
        gone = set(chunk) - set(model._default_manager.filter(pk__in=chunk).values_list("pk", flat=True))
        count = len(gone)
    if count:
        audit.record(
            "retention.anonymised" if kind.action == ANONYMISE else "retention.deleted",
            actor=actor,
            subject=("retention.kind", kind.name),
            model=model._meta.label_lower,
            period=str(kind.period()),
            cutoff=cutoff,
            count=count,
            ids=[names[pk] for pk in chunk if pk in gone] if kind.identify else None,
        )
    return count
