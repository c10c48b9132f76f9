"""Backup → verify → restore into a fresh PostgreSQL database → the audit chain still verifies and
every table holds exactly what it held when the backup was taken."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone
from psycopg import sql
from psycopg.conninfo import make_conninfo

from audit.models import AuditEvent
from conftest import make_staff, make_user
from mynatrust.db import is_postgresql
from mynatrust.operations import backup
from mynatrust.operations import services as ledger_services
from mynatrust.operations.models import EntryExitRecord
from mynatrust.repository import services as repository_services

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not is_postgresql(settings.DATABASES["default"]), reason="needs PostgreSQL"),
]


def _conninfo(name: str) -> str:
    db = settings.DATABASES["default"]
    info = {"dbname": name, "host": db.get("HOST") or "", "port": str(db.get("PORT") or ""), "user": db.get("USER")}
    if db.get("PASSWORD"):
        info["password"] = db["PASSWORD"]
    return make_conninfo(**{k: v for k, v in info.items() if v})


def _url(name: str) -> str:
    db = settings.DATABASES["default"]
    auth = db.get("USER") or ""
    if db.get("PASSWORD"):
        auth += ":" + db["PASSWORD"]
    return f"postgres://{auth}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{name}"


@pytest.fixture
def fresh_database():
    name = f"{settings.DATABASES['default']['NAME']}_restore_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(_conninfo("postgres"), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield name
    with psycopg.connect(_conninfo("postgres"), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name])
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')


PRIMARY_KEYS = """
    SELECT c.relname, a.attname
    FROM pg_index i
    JOIN pg_class c ON c.oid = i.indrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = i.indkey[0]
    WHERE i.indisprimary AND i.indnatts = 1 AND n.nspname = 'public'
"""


def table_digests(dbname: str, upto: dict[str, object] | None = None) -> tuple[dict[str, str], dict[str, object]]:
    """(count:md5 of every table's rows, the largest primary key of each table). With ``upto``, rows
    with a larger key are left out: they were appended after the backup (its own audit event, the
    sealer), which is not a difference."""
    digests: dict[str, str] = {}
    largest: dict[str, object] = {}
    with psycopg.connect(_conninfo(dbname)) as conn:
        keys: dict[str, str] = dict(conn.execute(PRIMARY_KEYS).fetchall())
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
            ).fetchall()
        ]
        for table in tables:
            where: sql.Composable = sql.SQL("")
            params: list[object] = []
            key = keys.get(table)
            if upto is not None and key is not None:
                if upto.get(table) is None:
                    where = sql.SQL(" WHERE false")
                else:
                    where = sql.SQL(" WHERE {} <= %s").format(sql.Identifier(key))
                    params = [upto[table]]
            query = sql.SQL(
                "SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {} t{}"
            ).format(sql.Identifier(table), where)
            row = conn.execute(query, params).fetchone()
            assert row is not None
            digests[table] = f"{row[0]}:{row[1]}"
            if key is not None:
                top = conn.execute(
                    sql.SQL("SELECT max({}) FROM {}").format(sql.Identifier(key), sql.Identifier(table))
                ).fetchone()
                largest[table] = top[0] if top else None
    return digests, largest


def seed() -> None:
    operator = make_staff("service_operator", "operator@staff.example.jp")
    manager = make_staff("service_manager", "manager@staff.example.jp")
    administrator = make_staff("service_administrator", "admin@staff.example.jp")
    make_user("member@subscriber.example.jp", "subscriber")
    doc = repository_services.draft_document(
        kind="terms", version="1.0", title="利用約款", body="第1条", effective_at=timezone.now(), actor=operator
    )
    repository_services.approve_document(doc, actor=manager)
    entry = ledger_services.record_entry(
        EntryExitRecord,
        actor=administrator,
        area="server_room",
        direction="enter",
        occurred_at=timezone.now() - timedelta(hours=1),
        person_name="保守 太郎",
        organisation="保守会社",
        purpose="点検",
        escort_name="保守 員三郎",
        approved_by=manager,
    )
    ledger_services.record_entry(
        EntryExitRecord,
        actor=administrator,
        corrects=entry,
        correction_reason="誤記",
        area="server_room",
        direction="enter",
        occurred_at=timezone.now() - timedelta(hours=1),
        person_name="保守 次郎",
        organisation="保守会社",
        purpose="点検",
        escort_name="保守 員三郎",
        approved_by=manager,
    )


def test_a_backup_restores_into_a_fresh_database_with_the_audit_chain_intact(settings, tmp_path, fresh_database):
    settings.AUDIT_SEALER = "off"  # nothing writes behind the test's back while it compares tables
    settings.AUDIT_ARCHIVE_DIR = str(tmp_path / "archive")
    (tmp_path / "archive").mkdir()
    (tmp_path / "archive" / "segment-000001.jsonl").write_text('{"seq": 1}\n')
    seed()
    call_command("audit_seal", stdout=open(os.devnull, "w"))  # noqa: SIM115
    source = connection.settings_dict["NAME"]

    directory = backup.create_backup(tmp_path / "backups")

    manifest = json.loads((directory / "manifest.json").read_text())
    paths = {f["path"] for f in manifest["files"]}
    assert paths == {"database.dump", "audit-archive/segment-000001.jsonl"}
    leaf = max(
        name for app, name in MigrationLoader(None, ignore_no_migrations=True).graph.leaf_nodes() if app == "mynatrust"
    )
    assert manifest["migrations"]["mynatrust"] == leaf
    assert backup.verify_backup(directory) == []
    assert AuditEvent.objects.filter(event_type="operations.backup.created").exists()

    backup.restore_backup(directory, _url(fresh_database))

    restored, largest = table_digests(fresh_database)
    assert restored["mynatrust_entryexitrecord"].startswith("2:")
    assert table_digests(source, upto=largest)[0] == restored
    env = {
        **os.environ,
        "DATABASE_URL": _url(fresh_database),
        "DJANGO_SETTINGS_MODULE": "mynatrust.settings",
        # The same key host as the service that was backed up: its last signed head comes along.
        "AUDIT_HEAD_STATE_PATH": settings.AUDIT_HEAD_STATE_PATH,
    }
    verified = subprocess.run(
        [sys.executable, "manage.py", "audit_verify"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "監査ログを検証しました" in verified.stdout


def test_a_damaged_backup_is_refused(settings, tmp_path, fresh_database):
    settings.AUDIT_SEALER = "off"
    settings.AUDIT_ARCHIVE_DIR = str(tmp_path / "none")
    make_user("member@subscriber.example.jp", "subscriber")
    directory = backup.create_backup(tmp_path / "backups")
    dump = directory / "database.dump"
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0xFF
    dump.write_bytes(bytes(data))
    (directory / "stray.txt").write_text("x")

    problems = backup.verify_backup(directory)
    assert "database.dump: ダイジェストがマニフェストと一致しません" in problems
    assert "stray.txt: マニフェストにありません" in problems
    assert len(problems) == 2
    with pytest.raises(backup.BackupError, match="バックアップがマニフェストと一致しません"):
        backup.restore_backup(directory, _url(fresh_database))


def test_a_backup_whose_manifest_and_sums_were_rewritten_is_refused(settings, tmp_path, fresh_database):
    """Whoever edits a file and recomputes manifest.json and SHA256SUMS cannot sign them again."""
    import hashlib

    settings.AUDIT_SEALER = "off"
    settings.AUDIT_ARCHIVE_DIR = str(tmp_path / "none")
    make_user("member@subscriber.example.jp", "subscriber")
    directory = backup.create_backup(tmp_path / "backups")
    assert backup.verify_backup(directory) == []
    dump = directory / "database.dump"
    dump.write_bytes(dump.read_bytes() + b"tampered")
    manifest = json.loads((directory / "manifest.json").read_text())
    for entry in manifest["files"]:
        if entry["path"] == "database.dump":
            entry["size"] = dump.stat().st_size
            entry["sha256"] = backup.sha256_file(dump)
    manifest_bytes = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True).encode() + b"\n"
    (directory / "manifest.json").write_bytes(manifest_bytes)
    (directory / "SHA256SUMS").write_text(
        f"{backup.sha256_file(dump)}  database.dump\n{hashlib.sha256(manifest_bytes).hexdigest()}  manifest.json\n"
    )
    assert backup.verify_backup(directory) == ["manifest.json: 署名は別のマニフェストに対するものです"]
    with pytest.raises(backup.BackupError, match="署名は別のマニフェストに対するものです"):
        backup.restore_backup(directory, _url(fresh_database))
    (directory / "manifest.sig.json").unlink()
    assert "manifest.sig.json がありません。マニフェストは署名されていません" in backup.verify_backup(directory)


def test_sums_that_disagree_with_the_signed_manifest_are_refused(settings, tmp_path, fresh_database):
    """SHA256SUMS is for `sha256sum -c` where the service is not installed: whoever swaps a file and
    its line there (leaving the signed manifest alone) must not pass the backup off either."""
    settings.AUDIT_SEALER = "off"
    settings.AUDIT_ARCHIVE_DIR = str(tmp_path / "none")
    directory = backup.create_backup(tmp_path / "backups")
    sums = directory / "SHA256SUMS"
    sums.write_text(sums.read_text().replace(backup.sha256_file(directory / "database.dump"), "0" * 64))
    assert backup.verify_backup(directory) == ["SHA256SUMS が署名付きマニフェストと一致しません"]
    with pytest.raises(backup.BackupError, match="SHA256SUMS が署名付きマニフェストと一致しません"):
        backup.restore_backup(directory, _url(fresh_database))
    sums.unlink()
    assert backup.verify_backup(directory) == ["SHA256SUMS がありません"]


def test_restore_refuses_the_database_in_use_and_one_that_is_not_empty(settings, tmp_path, fresh_database):
    settings.AUDIT_SEALER = "off"
    settings.AUDIT_ARCHIVE_DIR = str(tmp_path / "none")
    directory = backup.create_backup(tmp_path / "backups")
    with pytest.raises(backup.BackupError, match="サービスが使用中のデータベース"):
        backup.restore_backup(directory, _url(connection.settings_dict["NAME"]))
    backup.restore_backup(directory, _url(fresh_database))
    with pytest.raises(backup.BackupError, match="空ではありません"):
        backup.restore_backup(directory, _url(fresh_database))
