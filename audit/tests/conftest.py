"""Audit fixtures: a checkpoint key per test session in a temporary directory, sealing by hand."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import connection

from audit import signing
from mynatrust.db import is_postgresql


@pytest.fixture(scope="session")
def checkpoint_key_path(tmp_path_factory: Any) -> Any:
    path = tmp_path_factory.mktemp("audit-key") / "checkpoint.pem"
    path.write_bytes(signing.generate_private_key_pem())
    return path


@pytest.fixture(autouse=True)
def _audit_settings(settings: Any, checkpoint_key_path: Any) -> None:
    settings.AUDIT_CHECKPOINT_KEY_PATH = str(checkpoint_key_path)
    settings.AUDIT_SEALER = "off"
    settings.AUDIT_CHECKPOINT_EVERY = 1000
    settings.AUDIT_CHECKPOINT_SECONDS = 3600


def record_many(count: int, event_type: str = "test.event", **data: Any) -> list[Any]:
    import audit

    return [audit.record(event_type, actor=audit.SYSTEM, n=i, **data) for i in range(count)]


@contextmanager
def tampering() -> Iterator[Any]:
    """What a database superuser can do: change rows with the append-only triggers out of the way."""
    from importlib import import_module

    migration = import_module("audit.migrations.0002_append_only")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
            try:
                yield cursor
            finally:
                cursor.execute("SET session_replication_role = origin")
        else:
            for table in migration.TABLES:
                for kind in ("no_update", "no_delete"):
                    cursor.execute(f"DROP TRIGGER {table}_{kind}")
            try:
                yield cursor
            finally:
                for table in migration.TABLES:
                    sql = migration.SQLITE_TABLE.format(t=table, covered=migration.SQLITE_COVERED[table])
                    for statement in sql.split("END;"):
                        if statement.strip():
                            cursor.execute(statement + "END;")


def on_postgresql() -> bool:
    from django.conf import settings

    return is_postgresql(settings.DATABASES["default"])


postgresql_only = pytest.mark.skipif(not on_postgresql(), reason="PostgreSQL only")
