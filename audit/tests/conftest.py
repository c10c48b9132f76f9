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


# docs/runbook.md §2.1, step 4: what the application's role is granted (by default privileges) and
# what is taken back after each migrate. test_two_roles.py applies them to a database of its own.
RUNTIME_DEFAULT_PRIVILEGES = """
ALTER DEFAULT PRIVILEGES FOR ROLE {owner} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {app};
ALTER DEFAULT PRIVILEGES FOR ROLE {owner} GRANT USAGE, SELECT ON SEQUENCES TO {app};
"""
RUNTIME_REVOCATIONS = """
REVOKE UPDATE, DELETE, TRUNCATE ON audit_auditevent, audit_auditseal, audit_auditsealbatch,
       audit_auditcheckpoint, audit_auditsegment, audit_auditcosignature FROM {app};
REVOKE INSERT ON audit_auditsegment FROM {app};
REVOKE ALL ON audit_prune_permit FROM {app};
"""
# The same grants on the tables already there (the test database exists before the role).
_RUNTIME_GRANTS = """
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {app};
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {app};
GRANT EXECUTE ON FUNCTION audit_prune(bigint, bigint) TO {app};
"""


def _own_connection() -> Any:
    """A connection of its own to the test database, in autocommit: what it does stays, whichever
    test's transaction is open on Django's connection when it is first needed."""
    import psycopg
    from psycopg.conninfo import make_conninfo

    db = connection.settings_dict
    info = {"dbname": db["NAME"], "host": db.get("HOST"), "port": str(db.get("PORT") or ""), "user": db.get("USER")}
    info["password"] = db.get("PASSWORD")
    return psycopg.connect(make_conninfo(**{k: v for k, v in info.items() if v}), autocommit=True)


@pytest.fixture(scope="session")
def runtime_role(django_db_setup: Any) -> Iterator[str]:
    """The application's runtime role of the two-role split, in this session's test database: the
    runbook's grants and revocations, no superuser, owning nothing. Tests act as it with
    :func:`acting_as`; the database then checks its privileges, as in production."""
    if not on_postgresql():
        pytest.skip("PostgreSQL only")
    role = f"{connection.settings_dict['NAME']}_runtime"[:63]
    with _own_connection() as own:
        if own.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role]).fetchone() is None:
            own.execute(f"CREATE ROLE {role} NOLOGIN")
        own.execute(_RUNTIME_GRANTS.format(app=role))
        own.execute(RUNTIME_REVOCATIONS.format(app=role))
    yield role
    with _own_connection() as own:
        own.execute(f"DROP OWNED BY {role}")
        own.execute(f"DROP ROLE {role}")


@contextmanager
def acting_as(role: str | None) -> Iterator[None]:
    """Inside a transaction, the test's connection acts as ``role`` (``SET LOCAL ROLE``: every
    privilege, ``superuser`` test and ownership check is then made for that role) until the block
    ends; None leaves the connection's own role (the superuser the harness connects as). After an
    error the enclosing transaction's rollback undoes the switch."""
    if role is None:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL ROLE {role}")
        cursor.execute("SELECT current_user, (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)")
        assert cursor.fetchone() == (role, False)
    yield
    with connection.cursor() as cursor:
        cursor.execute("RESET ROLE")


@pytest.fixture(params=["superuser", "runtime role"])
def attacker_role(request: Any) -> str | None:
    """Run a test twice: as the superuser the harness connects as, then as the runtime role."""
    if request.param == "superuser":
        return None
    return str(request.getfixturevalue("runtime_role"))
