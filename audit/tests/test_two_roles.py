"""The two database roles of docs/runbook.md §2.1, for real: a database owned by the migrating role,
migrated by it, the runbook's grants and revocations applied, and the service's commands run as the
restricted runtime role. That role cannot UPDATE, DELETE or TRUNCATE an audit table (PostgreSQL
refuses on privileges, before any trigger), and ``check --deploy`` reports no audit.E004 for it while
it does for the owner; recording, sealing, checkpointing, verification and export work as the
runtime role; archiving runs as the owner, and pruning goes only through ``audit_prune()``, the
SECURITY DEFINER function, which the runtime role may call once granted EXECUTE."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from audit import signing
from audit.guard import TABLES
from audit.tests.conftest import RUNTIME_DEFAULT_PRIVILEGES, RUNTIME_REVOCATIONS, postgresql_only

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [postgresql_only, pytest.mark.slow]

# docs/runbook.md §2.1, step 4, with this test's role names.
BEFORE_MIGRATE = RUNTIME_DEFAULT_PRIVILEGES
AFTER_MIGRATE = RUNTIME_REVOCATIONS

RECORD = """
import audit
from audit import labels
labels.declare_namespace("test", "テスト")  # as conftest.py does in the test process
for n in range(20):
    audit.record("test.two_roles", actor=audit.SYSTEM, n=n)
"""


def _server() -> dict[str, str]:
    db = django_settings.DATABASES["default"]
    return {"host": str(db.get("HOST") or "127.0.0.1"), "port": str(db.get("PORT") or 5432), "user": str(db["USER"])}


class Roles:
    def __init__(self, tmp: Path) -> None:
        tag = uuid.uuid4().hex[:8]
        self.owner, self.app, self.database = f"mt_owner_{tag}", f"mt_app_{tag}", f"mt_roles_{tag}"
        self.server = _server()
        key = tmp / "checkpoint.pem"
        key.write_bytes(signing.generate_private_key_pem())
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "mynatrust.settings",
            "AUDIT_CHECKPOINT_KEY_PATH": str(key),
            "AUDIT_HEAD_STATE_PATH": str(tmp / "head.json"),
            "AUDIT_ARCHIVE_DIR": str(tmp / "archive"),
            "AUDIT_SEALER": "off",
            "AUDIT_CHECKPOINT_EVERY": "1",
        }

    def url(self, role: str) -> str:
        return f"postgres://{role}@{self.server['host']}:{self.server['port']}/{self.database}"

    def connect(self, role: str) -> psycopg.Connection[Any]:
        return psycopg.connect(self.url(role), autocommit=True)

    def manage(self, role: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env={**self.env, "DATABASE_URL": self.url(role)},
            capture_output=True,
            text=True,
            check=False,
        )
        if check and done.returncode != 0:
            raise AssertionError(f"manage.py {' '.join(args)} as {role}: {done.stdout}\n{done.stderr}")
        return done


def _admin() -> psycopg.Connection[Any]:
    server = _server()
    return psycopg.connect(f"postgres://{server['user']}@{server['host']}:{server['port']}/postgres", autocommit=True)


@pytest.fixture
def roles(tmp_path: Path) -> Iterator[Roles]:
    split = Roles(tmp_path)
    with _admin() as admin:
        admin.execute(f"CREATE ROLE {split.owner} LOGIN")
        admin.execute(f"CREATE ROLE {split.app} LOGIN")
        admin.execute(f"CREATE DATABASE {split.database} OWNER {split.owner}")
    try:
        with split.connect(split.owner) as owner:
            owner.execute(BEFORE_MIGRATE.format(owner=split.owner, app=split.app))
        split.manage(split.owner, "migrate", "--no-input")
        with split.connect(split.owner) as owner:
            owner.execute(AFTER_MIGRATE.format(owner=split.owner, app=split.app))
        yield split
    finally:
        with _admin() as admin:
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [split.database])
            admin.execute(f"DROP DATABASE IF EXISTS {split.database}")
            for role in (split.app, split.owner):
                admin.execute(f"DROP ROLE IF EXISTS {role}")


def test_the_runtime_role_keeps_the_log_and_cannot_change_it(roles: Roles, tmp_path: Path) -> None:
    app, owner = roles.app, roles.owner
    # The deployment check: the owner may change the audit tables, the runtime role may not.
    assert "audit.E004" in roles.manage(owner, "check", "--deploy", "--database", "default", check=False).stderr
    assert "audit.E004" not in roles.manage(app, "check", "--deploy", "--database", "default", check=False).stderr

    # The service at work as the runtime role: record, seal, sign, verify, export.
    roles.manage(app, "shell", "-c", RECORD)
    sealed = roles.manage(app, "audit_seal").stdout
    assert "件を封印しました" in sealed and "チェックポイントは #" in sealed, sealed
    assert "監査ログを検証しました" in roles.manage(app, "audit_verify").stdout
    exported = roles.manage(app, "audit_export", "--out", str(tmp_path / "export.zip"), check=False)
    assert exported.returncode == 0, exported.stdout + exported.stderr

    # Direct changes as the runtime role: refused by privileges, not only by the triggers.
    with roles.connect(app) as conn:
        for table in TABLES:
            key = "seq" if table == "audit_auditseal" else "id"
            for statement in (
                f"UPDATE {table} SET {key} = {key}",  # noqa: S608  (constants only)
                f"DELETE FROM {table}",  # noqa: S608
                f"TRUNCATE {table}",
            ):
                with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied"):
                    conn.execute(statement)
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied"):
            conn.execute("INSERT INTO audit_auditsegment (first_seq) VALUES (1)")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT audit_prune(1, 1)")  # not granted yet
        # Not even the owner's DDL: the runtime role cannot switch the guard triggers off.
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="must be owner"):
            conn.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER USER")

    # Archiving as the owner; pruning only through the SECURITY DEFINER function.
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    archived = roles.manage(owner, "audit_archive", "--before", tomorrow, "--out", str(tmp_path / "segments"))
    assert "#1–#" in archived.stdout and "書き出しました" in archived.stdout, archived.stdout
    with roles.connect(owner) as conn:
        conn.execute(f"GRANT EXECUTE ON FUNCTION audit_prune(bigint, bigint) TO {app}")
        first, last = conn.execute("SELECT first_seq, last_seq FROM audit_auditsegment").fetchone()  # type: ignore[misc]
    with roles.connect(app) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="no archived segment"):
            conn.execute("SELECT audit_prune(%s, %s)", [first, last + 1])
        removed = conn.execute("SELECT audit_prune(%s, %s)", [first, last]).fetchone()
        assert removed is not None and removed[0] > 0
        left = conn.execute("SELECT count(*) FROM audit_auditseal WHERE seq <= %s", [last]).fetchone()
        assert left == (0,)
    roles.manage(app, "shell", "-c", RECORD)
    assert "チェックポイントは #" in roles.manage(app, "audit_seal").stdout
    assert "監査ログを検証しました" in roles.manage(app, "audit_verify").stdout


def test_backups_are_taken_as_the_owner_and_restore_under_the_split(roles: Roles, tmp_path: Path) -> None:
    """docs/runbook.md §9: the runtime role cannot read every table (audit_prune_permit is the owner's
    alone), so its dump would be incomplete: the backup command refuses, says which role to use, writes
    nothing and records the refusal. The owner's backup restores into a fresh database of the owner's,
    the runbook's grants applied, and the service runs on it as the runtime role."""
    app, owner = roles.app, roles.owner
    roles.manage(app, "shell", "-c", RECORD)
    roles.manage(app, "audit_seal")
    out = tmp_path / "backups"
    out.mkdir()
    refused = roles.manage(app, "backup", "--out", str(out), check=False)
    assert refused.returncode != 0
    assert "audit_prune_permit" in refused.stderr and "所有者ロール" in refused.stderr, refused.stderr
    assert list(out.iterdir()) == []  # nothing half-written
    with roles.connect(owner) as conn:
        row = conn.execute(
            "SELECT data FROM audit_auditevent WHERE event_type = 'operations.backup.create_refused'"
        ).fetchone()
    assert row is not None and row[0]["tables"] == ["audit_prune_permit"] and row[0]["role"] == app

    taken = roles.manage(owner, "backup", "--out", str(out))
    (directory,) = out.iterdir()
    assert str(directory) in taken.stdout
    assert "はマニフェストと一致します" in roles.manage(app, "backup", "--verify", str(directory)).stdout

    # Restore: a fresh database of the owner's, its default privileges set first (runbook §2.1), the
    # dump restored by the owner, the revocations applied after, as after a migration.
    restored = f"{roles.database}_restored"
    with _admin() as admin:
        admin.execute(f"CREATE DATABASE {restored} OWNER {owner}")
    target = Roles.__new__(Roles)
    target.__dict__.update({**roles.__dict__, "database": restored})
    try:
        with target.connect(owner) as conn:
            conn.execute(BEFORE_MIGRATE.format(owner=owner, app=app))
        roles.manage(owner, "restore_backup", str(directory), "--into", target.url(owner))
        # Before the revocations the deployment check names what the runtime role may still do.
        before = target.manage(app, "check", "--deploy", "--database", "default", check=False).stderr
        assert "audit.E004" in before and "audit_prune_permit" in before, before
        with target.connect(owner) as conn:
            conn.execute(AFTER_MIGRATE.format(owner=owner, app=app))
            tables = conn.execute("SELECT tableowner FROM pg_tables WHERE tablename = 'audit_auditevent'").fetchone()
        assert tables == (owner,)
        assert "audit.E004" not in target.manage(app, "check", "--deploy", "--database", "default", check=False).stderr
        target.manage(app, "shell", "-c", RECORD)
        assert "件を封印しました" in target.manage(app, "audit_seal").stdout
        assert "監査ログを検証しました" in target.manage(app, "audit_verify").stdout
        again = target.manage(app, "backup", "--out", str(tmp_path), check=False)
        assert again.returncode != 0 and "audit_prune_permit" in again.stderr
    finally:
        with _admin() as admin:
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [restored])
            admin.execute(f"DROP DATABASE IF EXISTS {restored}")
