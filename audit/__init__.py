"""The audit log (§6.2): append-only, hash-chained, with signed checkpoints.

Writing events — the entry points other apps use::

    import audit

    audit.record("registry.subscriber.approved", actor=request.user, subject=subscriber, note=...)

``event_type`` must be declared in the catalogue (``audit/labels.py``); an undeclared type raises
``audit.labels.UndeclaredEventType`` and writes nothing. ``actor`` is a ``kernel.Actor``: a user,
an ``audit.ActorRecord`` (``audit.SYSTEM``, ``audit.ANONYMOUS``, or e.g.
``audit.ActorRecord("system", "cli:alice", "manage.py trust (alice)")``), anything with an
``audit_actor()`` method returning one (an API key), or None (anonymous). ``subject`` is a model
instance (its ``audit_id`` or pk is
stored) or a ``(type, id)`` pair. Keyword ``data`` must be JSON-serialisable (Django's encoder:
dates, Decimals and UUIDs become strings). Never put secrets in it. Request ID, client IP and user
agent come from ``audit.context``, bound per request by the middleware. Call ``record`` inside the
service's transaction, so the event commits or rolls back with the change it describes.

A hot path whose event depends on what it reads (the validity service's answers) reads and records
in one statement with ``audit.record_reading(..., reading=audit.Reading(sql, params, fields))``.

Refused actions must be on the record even though their transaction rolls back. A service
decorated with ``@kernel.service("delegations.delegation.revoke")`` does this for every
``kernel.ServiceError`` it raises: the refusal ``delegations.delegation.revoke_refused`` is recorded
after the rollback, once. Outside a service, record it with ``audit.record_refused`` after leaving
the atomic block.

``record_refused`` adds ``refused=True``. Outside any transaction it writes at once. Called while an
enclosing transaction is still open (a nested service, ATOMIC_REQUESTS), it writes through a second,
autocommit connection on PostgreSQL, so the refusal survives that transaction's rollback; on SQLite
(demo only) it cannot, and joins the open transaction.

A refusal that an attacker can repeat at will (a forbidden page, another tenant's object, an
anonymous failure) is counted with ``audit.record_tallied(event_type, actor=…, key=path, **data)``:
one event per event type, actor (client address when anonymous), key and minute, carrying the count
(see audit.tally).

Everything else (sealing, checkpoints, verification, export, archive) lives in this app and is
reached through its management commands and the admin; see docs/auditor.md.
"""

from __future__ import annotations

from typing import Any

from audit import context
from audit.actors import ANONYMOUS, SYSTEM, ActorRecord
from audit.reading import Reading
from kernel import Actor

__all__ = [
    "ANONYMOUS",
    "SYSTEM",
    "ActorRecord",
    "Reading",
    "context",
    "record",
    "record_reading",
    "record_refused",
    "record_tallied",
    "subject_of",
]


def record(event_type: str, *, actor: Actor | None, subject: Any = None, **data: Any) -> Any:
    """Append one event in the current transaction."""
    from audit.recorder import record as _record

    return _record(event_type, actor=actor, subject=subject, **data)


def record_refused(event_type: str, *, actor: Actor | None, subject: Any = None, **data: Any) -> Any:
    """Append one refused action so that it survives the rollback of the caller's transaction."""
    from audit.recorder import record_refused as _record_refused

    return _record_refused(event_type, actor=actor, subject=subject, **data)


def record_reading(
    event_type: str, *, actor: Actor | None, subject: Any = None, reading: Reading, at: Any = None, **data: Any
) -> Any:
    """Read one row and append an event about it in the same statement (see :class:`Reading`): for a
    hot path whose event depends on what it reads, so that recording costs no round trip of its own.
    Returns ``(row, event_id)``."""
    from audit.recorder import record_reading as _record_reading

    return _record_reading(event_type, actor=actor, subject=subject, reading=reading, at=at, **data)


def record_tallied(event_type: str, *, actor: Actor | None, key: str = "", subject: Any = None, **data: Any) -> int:
    """Count a repeatable refusal; one event per event type, actor, key and minute (audit.tally)."""
    from audit.tally import record_tallied as _record_tallied

    return _record_tallied(event_type, actor=actor, key=key, subject=subject, **data)


def subject_of(subject: Any) -> tuple[str, str]:
    """The ``(type, id)`` pair the log stores for ``subject``: kept by whoever records an event about
    it later without holding the instance (the mail outbox), and passed back as ``subject``."""
    from audit.rows import subject_of as _subject_of

    return _subject_of(subject)
