"""The application's side of the append-only triggers (migration 0002).

The triggers refuse every UPDATE, DELETE and TRUNCATE. Two doors are left, both narrower than the
database privileges of the application role (which production removes altogether, docs/auditor.md):

- pruning: ``with permit_prune():`` lets this connection DELETE rows inside an archived segment,
  only for the transaction it wraps; used by ``audit_archive --prune`` and nothing else;
- test databases: under Django's test runner, flushing between transactional tests must empty the
  tables, so TRUNCATE (PostgreSQL) and DELETE (SQLite) pass there unless a test asks for
  ``strict()``.
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
    elif connection.vendor == "postgresql" and in_test_environment():
        with connection.connection.cursor() as cursor:
            cursor.execute("SELECT set_config('audit.allow_flush', 'on', false)")


@contextmanager
def permit_prune(using: str = "default") -> Iterator[None]:
    """Inside one transaction, let DELETE remove rows that an archived segment covers."""
    connection = connections[using]
    with transaction.atomic(using=using):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('audit.prune', 'on', true)")
            yield
        else:
            _pruning.active = True
            try:
                yield
            finally:
                _pruning.active = False


@contextmanager
def strict(using: str = "default") -> Iterator[None]:
    """Tests: behave like production (no flush door) for the duration."""
    connection = connections[using]
    token = _strict.set(True)
    try:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('audit.allow_flush', 'off', false)")
        yield
    finally:
        _strict.reset(token)
        if connection.vendor == "postgresql" and in_test_environment():
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('audit.allow_flush', 'on', false)")


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
                "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgenabled <> 'D' AND tgname LIKE 'audit_%%'"
            )
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'audit_%'")
        present = {row[0] for row in cursor.fetchall()}
    return sorted(wanted - present)
