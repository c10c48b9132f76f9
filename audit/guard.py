"""The application's side of the append-only triggers (migrations 0002 and 0004).

On PostgreSQL the triggers refuse every UPDATE, DELETE and TRUNCATE; no setting a session may change
opens them. Rows leave only through ``audit_prune(first_seq, last_seq)``, a function owned by the
migrating role that deletes exactly the rows of one archived segment (``prune_segment`` below). Test
databases are emptied between transactional tests by the harness, as the superuser it connects as,
with the triggers switched off for that one transaction (``flush_as_superuser``).

SQLite (the demo) has no functions in the database: the application registers ``audit_guard()`` on
its connections; ``with permit_prune():`` opens it for archived rows in one transaction, and under
the test runner flushing passes unless a test asks for ``strict()``.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connections, transaction

_pruning = threading.local()
_strict: contextvars.ContextVar[bool] = contextvars.ContextVar("audit_strict", default=False)

TABLES = (
    "audit_auditevent",
    "audit_auditseal",
    "audit_auditsealbatch",
    "audit_auditcheckpoint",
    "audit_auditsegment",
    "audit_auditcosignature",
)


def in_test_environment() -> bool:
    # Set by django.test.utils.setup_test_environment(), which both Django's runner and pytest-django call.
    from django.test.utils import _TestState

    return hasattr(_TestState, "saved_data")


def _sqlite_guard() -> int:
    if getattr(_pruning, "active", False):
        return 1
    if in_test_environment() and not _strict.get():
        return 2
    return 0


def on_connection_created(sender: Any, connection: Any, **kwargs: Any) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function("audit_guard", 0, _sqlite_guard)


def prune_segment(first_seq: int, last_seq: int, using: str = "default") -> int:
    """Delete the online rows of the archived segment ``first_seq``..``last_seq``; return how many
    events went. In the caller's transaction."""
    connection = connections[using]
    with transaction.atomic(using=using), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT audit_prune(%s, %s)", [first_seq, last_seq])
            return int(cursor.fetchone()[0])
        _pruning.active = True
        try:
            cursor.execute(
                "DELETE FROM audit_auditevent WHERE id IN "
                "(SELECT event_id FROM audit_auditseal WHERE seq BETWEEN %s AND %s)",
                [first_seq, last_seq],
            )
            removed = cursor.rowcount
            cursor.execute("DELETE FROM audit_auditseal WHERE seq BETWEEN %s AND %s", [first_seq, last_seq])
        finally:
            _pruning.active = False
        return int(removed)


@contextmanager
def strict(using: str = "default") -> Iterator[None]:
    """Tests on SQLite: behave like production (no flush door) for the duration. On PostgreSQL
    there is no door to close."""
    token = _strict.set(True)
    try:
        yield
    finally:
        _strict.reset(token)


def flush_as_superuser(operations: Any, sql_list: list[str]) -> None:
    """Tests only: Django's flush of a PostgreSQL test database, with the triggers switched off for
    its transaction (session_replication_role, which only a superuser may set)."""
    connection = operations.connection
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        for sql in sql_list:
            cursor.execute(sql)


def missing_triggers(using: str = "default") -> list[str]:
    """Names of append-only triggers that should exist and do not (a migration that rebuilt a table
    on SQLite, or someone who dropped them)."""
    connection = connections[using]
    kinds = (
        ("no_update", "no_delete", "no_truncate") if connection.vendor == "postgresql" else ("no_update", "no_delete")
    )
    wanted = {f"{t}_{k}" for t in TABLES for k in kinds}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgenabled IN ('O', 'A') AND tgname LIKE 'audit_%%'"
            )
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'audit_%'")
        present = {row[0] for row in cursor.fetchall()}
    return sorted(wanted - present)
