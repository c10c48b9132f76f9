"""An audit event as a row: its column values from an event type, actor, subject and data, and
the one INSERT that appends it. Nothing here wakes the sequencer; the writers do (audit.recorder,
audit.tally, the sequencer's own events)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone

from audit import context, labels
from audit.actors import describe
from audit.models import AuditEvent
from kernel import Actor


def subject_of(subject: Any) -> tuple[str, str]:
    if subject is None:
        return "", ""
    if isinstance(subject, tuple):
        return str(subject[0]), str(subject[1])
    meta = getattr(subject, "_meta", None)
    if meta is not None:
        return meta.label_lower, str(getattr(subject, "audit_id", None) or subject.pk)
    return type(subject).__name__, str(subject)


def columns(
    event_type: str, actor: Actor | None, subject: Any, data: dict[str, Any], at: datetime | None = None
) -> dict[str, Any]:
    """An event's column values (by attribute name), without a model instance."""
    labels.require_declared(event_type)
    who = describe(actor)
    ctx = context.current()
    subject_type, subject_id = subject_of(subject)
    if ctx.entry_point and "entry_point" not in data:
        data = {**data, "entry_point": ctx.entry_point}
    return {
        "created_at": at or timezone.now(),
        "event_type": _text(event_type, 80),
        "actor_kind": _text(who.kind, 16),
        "actor_id": _text(who.id, 64),
        "actor_label": _text(who.label, 255),
        "subject_type": _text(subject_type, 80),
        "subject_id": _text(subject_id, 64),
        "data": _json_data(data),
        "request_id": _text(ctx.request_id, 64),
        "ip": _text(who.ip or ctx.ip, 64),
        "user_agent": _text(ctx.user_agent, 255),
    }


def event(
    event_type: str, actor: Actor | None, subject: Any, data: dict[str, Any], at: datetime | None = None
) -> AuditEvent:
    return AuditEvent(**columns(event_type, actor, subject, data, at))


_PLAIN = (str, int, bool, type(None))


def _json_data(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` as it reads back from JSON (dates, decimals, … as DjangoJSONEncoder writes them; NUL
    replaced, see below). Flat text, integers, booleans and nulls already are: no round trip."""
    if all(
        type(key) is str
        and type(value) in _PLAIN
        and "\x00" not in key
        and not (type(value) is str and "\x00" in value)
        for key, value in data.items()
    ):
        return dict(data)
    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False)
    return _without_nul(json.loads(text)) if "\\u0000" in text else json.loads(text)


# PostgreSQL stores no NUL character in text or jsonb: an event about hostile input (a typed ID, a
# user agent) would fail to insert and be lost. It is recorded as U+FFFD, visibly replaced.
def _text(value: str, limit: int) -> str:
    return value.replace("\x00", "\ufffd")[:limit]


def _without_nul(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, list):
        return [_without_nul(item) for item in value]
    if isinstance(value, dict):
        return {_without_nul(key): _without_nul(item) for key, item in value.items()}
    return value


COLUMNS = [f for f in AuditEvent._meta.concrete_fields if f.column not in ("id", "txid")]
INSERT_SQL = "INSERT INTO audit_auditevent ({}) VALUES ({}) RETURNING id".format(  # noqa: S608  (model's own columns)
    ", ".join(str(f.column) for f in COLUMNS), ", ".join(["%s"] * len(COLUMNS))
)


def insert(event: AuditEvent, using: str = DEFAULT_DB_ALIAS) -> None:
    """One INSERT … RETURNING, without the ORM's per-save machinery (it cost more than the
    statement); AuditEvent has no signals or save() logic to skip."""
    connection = connections[using]
    values = [f.get_db_prep_save(getattr(event, f.attname), connection) for f in COLUMNS]
    with connection.cursor() as cursor:
        cursor.execute(INSERT_SQL, values)
        event.pk = cursor.fetchone()[0]
    event._state.adding = False
    event._state.db = using
