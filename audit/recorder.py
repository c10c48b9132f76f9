from __future__ import annotations

import logging
import weakref
from collections.abc import Iterable
from datetime import datetime
from functools import lru_cache
from typing import Any

from django.db import DEFAULT_DB_ALIAS, NotSupportedError, connections

from audit import rows
from audit.models import AuditEvent
from audit.reading import Reading
from audit.sealing import after_commit, wake_after_commit
from kernel import Actor

log = logging.getLogger(__name__)


def record(event_type: str, *, actor: Actor | None, subject: Any = None, **data: Any) -> AuditEvent:
    appended = rows.event(event_type, actor, subject, data)
    rows.insert(appended)
    wake_after_commit()
    return appended


def _expressions(fields: Iterable[tuple[str, str]]) -> str:
    """The computed fields (name, SQL expression) as extra columns of the read."""
    return "".join(f", ({sql}) AS {_field(name)}" for name, sql in fields)


def _field_sql(reading: Reading) -> tuple[tuple[str, str], ...]:
    return tuple((name, sql) for name, (sql, _kind) in reading.fields.items())


def _field(name: str) -> str:
    if not name.isidentifier():
        raise ValueError(f"field names are identifiers, not {name!r}")
    return f'"field__{name}"'


def _typed(value: Any, kind: type) -> Any:
    return None if value is None else kind(value)


def record_reading(
    event_type: str,
    *,
    actor: Actor | None,
    subject: Any = None,
    reading: Reading,
    at: datetime | None = None,
    **data: Any,
) -> tuple[dict[str, Any], int | None]:
    """Read a row and append an event about it, the event's data completed from the row.

    On PostgreSQL this is a single statement (a data-modifying CTE), so recording the event costs no
    round trip of its own; elsewhere the read and the INSERT run one after the other. Returns the
    row's columns (all None when nothing was found) plus the computed fields, and the event's id
    (no model instance is built on this path; None when the reading's guard did not hold, and then
    nothing was written). ``at`` sets the event's time (default: now), e.g. the instant an answer
    was computed for.
    """
    using = DEFAULT_DB_ALIAS
    connection = connections[using]
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"WITH found AS ({reading.sql}) SELECT found.*{_expressions(_field_sql(reading))}"  # noqa: S608
                f", {_guard_sql(reading.guard)} AS guard__holds FROM (SELECT 1) AS one LEFT JOIN found ON 1 = 1",
                reading.params,
            )
            row = _fetch_row(cursor)
        holds = bool(row.pop("guard__holds"))
        computed = _computed(row, reading)
        event_id = None
        if holds:
            appended = rows.event(event_type, actor, subject, {**data, **computed}, at)
            rows.insert(appended, using)
            event_id = appended.pk
    else:
        values = _bound_values(rows.columns(event_type, actor, subject, data, at), connection)
        sql = _reading_statement(reading.sql, _field_sql(reading), reading.guard)
        params = {**reading.params, **values}
        try:
            row = _execute_prepared(connection, sql, params)
        except NotSupportedError as exc:
            # "cached plan must not change result type": a migration changed a column this
            # connection's prepared statement returns. Outside a transaction nothing was written:
            # ask again on a fresh connection, where the statement is planned anew.
            if getattr(exc.__cause__, "sqlstate", None) != "0A000" or connection.in_atomic_block:
                raise
            log.warning("prepared statement outdated by a schema change; reconnecting")
            connection.close()
            row = _execute_prepared(connection, sql, params)
        event_id = row.pop("audit__id")
        computed = _computed(row, reading)
    if event_id is not None:
        wake_after_commit()
    return {**row, **computed}, event_id


def _bound_values(columns: dict[str, Any], connection: Any) -> dict[str, Any]:
    """An event's column values as parameters of a server-binding cursor: text and times as they are
    (the driver types them), JSON wrapped for jsonb, anything else as its field prepares it."""
    from psycopg.types.json import Jsonb

    values = {f"audit__{name}": value for name, value in columns.items()}
    for name in _JSON_COLUMNS:
        values[f"audit__{name}"] = Jsonb(columns[name])
    for name, field in _PREPARED_COLUMNS:
        values[f"audit__{name}"] = field.get_db_prep_save(columns[name], connection)
    return values


_KINDS = {f.attname: (f, f.get_internal_type()) for f in rows.COLUMNS}
_JSON_COLUMNS = [name for name, (_f, kind) in _KINDS.items() if kind == "JSONField"]
_PREPARED_COLUMNS = [
    (name, field)
    for name, (field, kind) in _KINDS.items()
    if kind not in ("CharField", "TextField", "DateTimeField", "JSONField")
]


def _guard_sql(guard: str | None) -> str:
    return f"({guard})" if guard else "TRUE"


@lru_cache(maxsize=64)
def _reading_statement(read: str, fields: tuple[tuple[str, str], ...], guard: str | None = None) -> str:
    """The one statement of :func:`record_reading` on PostgreSQL (the same text for every call with
    the same read, so that it is prepared once per connection)."""
    expressions = _expressions(fields)
    pairs = ", ".join(f"'{name}', reading.{_field(name)}" for name, _sql in fields)
    columns = ", ".join(str(f.column) for f in rows.COLUMNS)
    placeholders = ", ".join(
        f"%(audit__{f.column})s::jsonb || jsonb_build_object({pairs})"
        if f.attname == "data" and fields
        else f"%(audit__{f.column})s"
        for f in rows.COLUMNS
    )
    # Table and columns are the model's own; every value is a bound parameter.
    return (
        f"WITH found AS ({read}),"  # noqa: S608
        f" reading AS (SELECT found.*{expressions} FROM (SELECT 1) AS one LEFT JOIN found ON TRUE),"
        f" event AS (INSERT INTO audit_auditevent ({columns}) SELECT {placeholders} FROM reading"
        f"{' WHERE ' + _guard_sql(guard) if guard else ''} RETURNING id)"
        ' SELECT reading.*, event.id AS "audit__id" FROM reading LEFT JOIN event ON TRUE'
    )


def _execute_prepared(connection: Any, sql: str, params: dict[str, Any]) -> dict[str, Any]:
    cursor, names_of = _server_bound_cursor(connection)
    cursor.execute(sql, params)
    values = cursor.fetchone()
    names = names_of.get(sql)
    if names is None:
        # Read once per connection: a statement prepared on it keeps its columns (a schema change
        # that would alter them fails as "cached plan must not change result type", and the retry
        # above reconnects, which starts a new list).
        names = names_of[sql] = [column.name for column in cursor.description]
    return dict(zip(names, values, strict=True))


# One server-binding cursor per Django connection (one per thread), with the column names of the
# statements it ran, kept while its database connection lives (psycopg's adapters stay looked up
# between answers) and replaced after a reconnection.
_kept: weakref.WeakKeyDictionary[Any, tuple[Any, dict[str, list[str]]]] = weakref.WeakKeyDictionary()


def _server_bound_cursor(connection: Any) -> tuple[Any, dict[str, list[str]]]:
    """A cursor (Django's wrapper: query logging, execute wrappers, error translation) whose
    parameters PostgreSQL binds, so that psycopg prepares the statement once the connection has run
    it a few times (``OPTIONS["prepare_threshold"]``, set in settings): the statement is then planned
    once per connection, not at every call. Django's own cursors bind in the client and never are.
    Not closed after use (closing would end it for the next answer): its result is replaced by the
    next one, and it ends with its connection. Returned with the column names known on it."""
    from django.db.backends.postgresql.base import ServerBindingCursor

    # What connection.cursor() does, with another cursor class.
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors:
        kept = _kept.get(connection)
        if kept is None or kept[0].closed or kept[0].connection is not connection.connection:  # reconnected
            kept = _kept[connection] = (ServerBindingCursor(connection.connection), {})  # type: ignore[call-arg]
        return connection._prepare_cursor(kept[0]), kept[1]


def _fetch_row(cursor: Any) -> dict[str, Any]:
    names = [column[0] for column in cursor.description or ()]
    return dict(zip(names, cursor.fetchone(), strict=True))


def _computed(row: dict[str, Any], reading: Reading) -> dict[str, Any]:
    """Take the computed fields out of ``row``, typed."""
    return {name: _typed(row.pop(f"field__{name}"), kind) for name, (_sql, kind) in reading.fields.items()}


def in_real_transaction(using: str) -> bool:
    """True inside an atomic block that may still roll back; the test runner's wrapping blocks
    (marked _from_testcase by Django's TestCase) do not count."""
    connection = connections[using]
    return any(not getattr(block, "_from_testcase", False) for block in getattr(connection, "atomic_blocks", []))


def record_refused(event_type: str, *, actor: Actor | None, subject: Any = None, **data: Any) -> AuditEvent:
    data.setdefault("refused", True)
    using = DEFAULT_DB_ALIAS
    if not in_real_transaction(using):
        return record(event_type, actor=actor, subject=subject, **data)
    refusal = rows.event(event_type, actor, subject, data)
    if connections[using].vendor == "postgresql":
        # A second connection in autocommit: the refusal is committed now, whatever the caller's
        # transaction does next. Rare enough that opening a connection is acceptable.
        side = connections.create_connection(using)
        alias = f"{using}__audit_refusal"
        connections[alias] = side
        try:
            refusal.save(using=alias, force_insert=True)
        finally:
            side.close()
            del connections[alias]
        after_commit()
        return refusal
    # SQLite (demo): one writer at a time, so a second connection would wait for the caller's own
    # transaction. The refusal shares that transaction; callers record after their atomic block.
    log.warning("%s recorded inside an open transaction on SQLite; it is lost if that rolls back", event_type)
    refusal.save(force_insert=True)
    wake_after_commit()
    return refusal
