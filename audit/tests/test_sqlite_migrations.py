"""The demo's database (SQLite) keeps every audit table append-only after all migrations.

SQLite adds or alters a column by rebuilding the table, which drops its triggers; each migration
that does so must put them back. This migrates a fresh SQLite file in a child process (the test
database itself is PostgreSQL) and asks the running code what is missing, then tries the changes
the triggers must refuse.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from audit import signing

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
from django.db import connection, transaction
from audit import guard, sealing
sealing.checkpoint_now()
print("MISSING", ",".join(guard.missing_triggers()))
for table in guard.TABLES:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")
        if not cursor.fetchone()[0]:
            continue
        for statement in (f"UPDATE {table} SET rowid = rowid", f"DELETE FROM {table}"):
            try:
                with transaction.atomic():
                    cursor.execute(statement)
                print("ALLOWED", table, statement.split()[0])
            except Exception as error:
                print("REFUSED", table, statement.split()[0], "append-only" in str(error), "#", error)
"""


def _manage_env(database: Path, tmp: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "mynatrust.settings",
        "DATABASE_URL": f"sqlite:///{database}",
        "AUDIT_HEAD_STATE_PATH": str(tmp / "head.json"),
        "AUDIT_ARCHIVE_DIR": str(tmp / "archive"),
        "AUDIT_CHECKPOINT_KEY_PATH": str(tmp / "checkpoint.pem"),
        "AUDIT_CHECKPOINT_EVERY": "1",
        "AUDIT_SEALER": "off",
    }


def _manage(database: Path, tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=_manage_env(database, tmp),
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.slow
def test_every_audit_table_keeps_its_triggers_after_all_migrations(tmp_path: Path) -> None:
    database = tmp_path / "demo.sqlite3"
    (tmp_path / "checkpoint.pem").write_bytes(signing.generate_private_key_pem())
    migrated = _manage(database, tmp_path, "migrate", "--no-input", "-v0")
    assert migrated.returncode == 0, migrated.stderr

    # Verification seals the events, and the probe signs a checkpoint, so the tables the rebuilt
    # migrations touched (seal batches, checkpoints) hold rows to try the refused changes on.
    verified = _manage(database, tmp_path, "audit_verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr

    probe = _manage(database, tmp_path, "shell", "-c", PROBE)
    assert probe.returncode == 0, probe.stderr
    lines = probe.stdout.splitlines()
    assert "MISSING " in lines, probe.stdout
    refused = {tuple(line.split()[1:3]) for line in lines if line.startswith("REFUSED") and " True #" in line}
    for table in ("audit_auditevent", "audit_auditseal", "audit_auditsealbatch", "audit_auditcheckpoint"):
        assert {(table, "UPDATE"), (table, "DELETE")} <= refused, probe.stdout
    assert not [line for line in lines if line.startswith("ALLOWED")], probe.stdout


@pytest.mark.slow
def test_migrating_a_new_sqlite_database_prints_no_traceback_for_the_key_to_come(tmp_path: Path) -> None:
    """The demo's first migration seals as it goes, inside transactions, before any checkpoint key
    exists: on SQLite the key is made at its first use outside a transaction (the demo's set-up), so
    the checkpoints wait quietly until then instead of logging a traceback per batch."""
    database = tmp_path / "demo.sqlite3"
    env_sealer = {"AUDIT_SEALER": "inline"}
    migrated = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v0"],
        cwd=ROOT,
        env={**_manage_env(database, tmp_path), **env_sealer},
        capture_output=True,
        text=True,
        check=False,
    )
    assert migrated.returncode == 0, migrated.stderr
    assert "Traceback" not in migrated.stderr + migrated.stdout
    assert not (tmp_path / "checkpoint.pem").exists()
