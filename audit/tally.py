"""Repeated refusals on the record without letting a flood fill the log.

``record_tallied(event_type, actor=…, key=…, **data)`` counts an occurrence in the current window
(a minute by default) for that event type, actor and key (for example a path); the first occurrence
of a window inserts a row in ``AuditTally``, every later one adds one to its count in the same
statement (an upsert: one round trip, however many arrive at once). When the window has closed,
``flush`` turns each row into ONE audit event carrying ``count``, ``first_at``, ``last_at`` and the
window, and deletes the row in the same transaction: every occurrence is counted in exactly one event.

Flushing happens whenever a new window opens (any caller), in every round of the audit sequencer
(``audit_seal --loop``) and when the audit log is opened in the admin, so a window's event is in the
log within a round of the sequencer after it closed.

An anonymous actor is told apart by client address (the key includes it); a signed-in actor by its
account, wherever it comes from.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone

from audit import rows, sealing
from audit.actors import ActorRecord, describe
from audit.models import AuditTally
from kernel import Actor

WINDOW_SECONDS = 60

_COLUMNS = [f for f in AuditTally._meta.concrete_fields if f.column != "id"]
_UPSERT = (  # noqa: S608  (the model's own columns)
    "INSERT INTO audit_audittally ({}) VALUES ({}) "
    "ON CONFLICT (key) DO UPDATE SET count = audit_audittally.count + 1, last_at = excluded.last_at "
    "RETURNING count"
).format(", ".join(str(f.column) for f in _COLUMNS), ", ".join(["%s"] * len(_COLUMNS)))


def window_of(at: datetime, seconds: int = WINDOW_SECONDS) -> tuple[datetime, datetime]:
    epoch = int(at.timestamp())
    start = datetime.fromtimestamp(epoch - epoch % seconds, tz=UTC)
    return start, start + timedelta(seconds=seconds)


def _key(event_type: str, who: ActorRecord, ip: str, key: str, start: datetime) -> str:
    # An anonymous visitor has no identity of its own: its address is what tells one apart.
    parts = [event_type, who.kind, who.id, ip if who.kind == "anonymous" else "", key, start.isoformat()]
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode()).hexdigest()


def record_tallied(
    event_type: str,
    *,
    actor: Actor | None,
    key: str = "",
    subject: Any = None,
    at: datetime | None = None,
    window: int = WINDOW_SECONDS,
    **data: Any,
) -> int:
    """Count one occurrence; returns the count so far in this window (1: the window just opened).
    Call it outside an atomic block that may roll back (a refusal is recorded after the rollback)."""
    now = at or timezone.now()
    start, end = window_of(now, window)
    columns = rows.columns(event_type, actor, subject, data)
    who = describe(actor)
    row = AuditTally(
        key=_key(columns["event_type"], who, columns["ip"], key, start),
        event_type=columns["event_type"],
        window_start=start,
        window_end=end,
        count=1,
        first_at=now,
        last_at=now,
        **{
            name: columns[name]
            for name in (
                "actor_kind",
                "actor_id",
                "actor_label",
                "subject_type",
                "subject_id",
                "data",
                "request_id",
                "ip",
                "user_agent",
            )
        },
    )
    connection = connections[DEFAULT_DB_ALIAS]
    values = [f.get_db_prep_save(getattr(row, f.attname), connection) for f in _COLUMNS]
    with connection.cursor() as cursor:
        cursor.execute(_UPSERT, values)
        count = int(cursor.fetchone()[0])
    if count == 1:
        flush(now=now)
    return count


def flush(*, now: datetime | None = None, using: str = DEFAULT_DB_ALIAS) -> int:
    """Write one event for each closed window and forget the window; returns how many were written.
    Concurrent flushers skip each other's rows (FOR UPDATE SKIP LOCKED on PostgreSQL)."""
    now = now or timezone.now()
    written = 0
    with transaction.atomic(using=using):
        closed = list(
            AuditTally.objects.using(using)
            .select_for_update(skip_locked=True)
            .filter(window_end__lte=now)
            .order_by("window_end", "id")[:500]
        )
        for row in closed:
            actor = ActorRecord(row.actor_kind, row.actor_id, row.actor_label, row.ip)
            data = {
                **row.data,
                "count": row.count,
                "first_at": row.first_at,
                "last_at": row.last_at,
                "window_start": row.window_start,
                "window_end": row.window_end,
            }
            subject = (row.subject_type, row.subject_id) if row.subject_type else None
            event = rows.event(row.event_type, actor, subject, data)
            # Who asked and from where is the first occurrence's, not the flusher's request.
            event.request_id, event.user_agent, event.ip = row.request_id, row.user_agent, row.ip
            rows.insert(event, using=using)
            written += 1
        if closed:
            AuditTally.objects.using(using).filter(pk__in=[row.pk for row in closed]).delete()
            sealing.wake_after_commit()
    return written
