"""Backups (§6.2.10, §10.1.1): a consistent PostgreSQL dump (pg_dump custom format, one snapshot),
the audit archive segment files, and a manifest with the SHA-256 of every file; verification of a
backup against its manifest; and restore into a fresh, empty database. Key files are never part of a
backup (they live in the secret store, see docs/runbook.md)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess  # pg_dump / pg_restore / psql with fixed argument lists, no shell
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import environ
from django.conf import settings
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone
from django.utils.translation import gettext

import audit
from kernel import Actor, ServiceError
from mynatrust.db import is_postgresql

FORMAT = "mynatrust-backup/1"
DUMP_NAME = "database.dump"
ARCHIVE_DIR_NAME = "audit-archive"
MANIFEST_NAME = "manifest.json"
SUMS_NAME = "SHA256SUMS"
# The manifest's SHA-256 signed with the audit checkpoint key (kept outside the database and its
# backups): whoever edits a file and recomputes manifest and SHA256SUMS cannot sign them again.
SIGNATURE_NAME = "manifest.sig.json"


class BackupError(ServiceError):
    """A refused action."""


@dataclass(frozen=True)
class Target:
    """Connection facts for the PostgreSQL client programs (password passed in the environment)."""

    name: str
    host: str
    port: str
    user: str
    password: str

    @classmethod
    def from_settings(cls, db: dict[str, Any]) -> Target:
        if not is_postgresql(db):
            raise BackupError(
                gettext(
                    "バックアップには PostgreSQL（DATABASE_URL=postgres://…）が必要です。SQLite のデモにはありません。"
                )
            )
        return cls(
            name=str(db.get("NAME") or ""),
            host=str(db.get("HOST") or ""),
            port=str(db.get("PORT") or ""),
            user=str(db.get("USER") or ""),
            password=str(db.get("PASSWORD") or ""),
        )

    @classmethod
    def from_url(cls, url: str) -> Target:
        return cls.from_settings(environ.Env.db_url_config(url))

    def env(self) -> dict[str, str]:
        env = {**os.environ, "PGDATABASE": self.name, "PGCONNECT_TIMEOUT": "10"}
        for key, value in (("PGHOST", self.host), ("PGPORT", self.port), ("PGUSER", self.user)):
            if value:
                env[key] = value
        if self.password:
            env["PGPASSWORD"] = self.password
        return env


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _run(args: list[str], target: Target) -> str:
    try:
        done = subprocess.run(args, env=target.env(), capture_output=True, text=True, check=False)  # noqa: S603
    except FileNotFoundError as err:
        raise BackupError(
            gettext("%(program)s がインストールされていません（Debian：postgresql-client）。") % {"program": args[0]}
        ) from err
    if done.returncode != 0:
        raise BackupError(
            gettext("%(program)s が失敗しました：%(output)s")
            % {"program": args[0], "output": done.stderr.strip()[:2000]}
        )
    return done.stdout


def _tool_version(tool: str) -> str:
    try:
        return subprocess.run([tool, "--version"], capture_output=True, text=True, check=False).stdout.strip()  # noqa: S603
    except FileNotFoundError:
        return ""


def _migration_heads() -> dict[str, str]:
    heads: dict[str, str] = {}
    for app, name in MigrationRecorder.Migration.objects.order_by("app", "name").values_list("app", "name"):
        heads[app] = name
    return heads


# Every table, view and sequence pg_dump reads (all schemas but the system's).
_UNREADABLE_SQL = """
SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S') AND c.relpersistence <> 't'
  AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'
  AND NOT has_table_privilege(c.oid, 'SELECT')
ORDER BY c.relname
"""


def unreadable_tables() -> tuple[str, list[str]]:
    """The role the service connects as, and what of the database it may not read. The runtime role
    of the two-role split (docs/runbook.md §2.1) may not read ``audit_prune_permit``, the owner's
    alone: backups are taken as the owner role."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        role = str(cursor.fetchone()[0])
        cursor.execute(_UNREADABLE_SQL)
        return role, [str(name) for (name,) in cursor.fetchall()]


def create_backup(out_root: Path, *, actor: Actor | None = None) -> Path:
    """Write one backup directory under ``out_root`` and return it. The dump is one consistent
    snapshot of the whole database (pg_dump runs in a single repeatable-read transaction). Refused,
    with nothing written, when the connected role cannot read every table (its dump would miss them)."""
    target = Target.from_settings(settings.DATABASES["default"])
    _require_readable(actor)
    stamp = timezone.now().strftime("%Y%m%dT%H%M%S%fZ")
    directory = Path(out_root) / f"mynatrust-backup-{stamp}"
    directory.mkdir(parents=True, exist_ok=False)
    os.chmod(directory, 0o700)
    dump = directory / DUMP_NAME
    _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--file", str(dump)], target)

    archive_src = Path(settings.AUDIT_ARCHIVE_DIR) if getattr(settings, "AUDIT_ARCHIVE_DIR", "") else None
    if archive_src is not None and archive_src.is_dir():
        shutil.copytree(archive_src, directory / ARCHIVE_DIR_NAME)

    files, manifest_bytes = _write_manifest(directory, target)
    from audit import keys

    statement = keys.sign_digest(hashlib.sha256(manifest_bytes).hexdigest())
    (directory / SIGNATURE_NAME).write_text(json.dumps(statement, indent=2) + "\n")
    audit.record(
        "operations.backup.created",
        actor=actor or audit.SYSTEM,
        subject=("backup", directory.name),
        manifest_sha256=hashlib.sha256(manifest_bytes).hexdigest(),
        files=len(files),
        bytes=sum(f["size"] for f in files),
    )
    return directory


def _require_readable(actor: Actor | None) -> None:
    """Refuse (recorded) when the connected role cannot read every table: its dump would miss them."""
    role, unreadable = unreadable_tables()
    if unreadable:
        audit.record_refused(
            "operations.backup.create_refused",
            actor=actor or audit.SYSTEM,
            reason="unreadable_tables",
            role=role,
            tables=unreadable,
        )
        raise BackupError(
            gettext(
                "ロール %(role)s では読めない表があるため、バックアップを取りませんでした：%(tables)s。"
                "バックアップはデータベースの所有者ロール（マイグレーションと監査ログのアーカイブを実行するロール）で"
                "取ってください（運用手順書 §9）。"
            )
            % {"role": role, "tables": ", ".join(unreadable)}
        )


def _write_manifest(directory: Path, target: Target) -> tuple[list[dict[str, Any]], bytes]:
    """MANIFEST and SHA256SUMS of what ``directory`` holds; returns the files listed and the manifest."""
    files = []
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        files.append(
            {"path": path.relative_to(directory).as_posix(), "size": path.stat().st_size, "sha256": sha256_file(path)}
        )
    manifest = {
        "format": FORMAT,
        "created_at": timezone.now().isoformat(),
        "service": settings.SERVICE_NAME,
        "database": {"name": target.name, "server_version": getattr(connection, "pg_version", None)},
        "pg_dump": _tool_version("pg_dump"),
        "migrations": _migration_heads(),
        "files": files,
    }
    manifest_bytes = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True).encode() + b"\n"
    (directory / MANIFEST_NAME).write_bytes(manifest_bytes)
    (directory / SUMS_NAME).write_text(_sums(files, manifest_bytes))
    return files, manifest_bytes


def _sums(files: list[dict[str, Any]], manifest_bytes: bytes) -> str:
    """SHA256SUMS, for `sha256sum -c` on a machine without the service: made from the manifest alone,
    so a backup's sums must be exactly this text."""
    sums = "".join(f"{f['sha256']}  {f['path']}\n" for f in files)
    return sums + f"{hashlib.sha256(manifest_bytes).hexdigest()}  {MANIFEST_NAME}\n"


def verify_backup(directory: Path) -> list[str]:
    """Problems found when checking every file against the manifest (empty: the backup is intact)."""
    directory = Path(directory)
    manifest_path = directory / MANIFEST_NAME
    if not manifest_path.is_file():
        return [gettext("%(name)s がありません") % {"name": MANIFEST_NAME}]
    try:
        manifest = json.loads(manifest_path.read_text())
    except ValueError:
        return [gettext("%(name)s は正しい JSON ではありません") % {"name": MANIFEST_NAME}]
    if manifest.get("format") != FORMAT:
        return [gettext("不明なバックアップ形式です：%(format)r") % {"format": manifest.get("format")}]
    problems: list[str] = _signature_problems(directory, manifest_path)
    sums_path = directory / SUMS_NAME
    if not sums_path.is_file():
        problems.append(gettext("%(name)s がありません") % {"name": SUMS_NAME})
    elif sums_path.read_text() != _sums(manifest.get("files", []), manifest_path.read_bytes()):
        problems.append(gettext("%(name)s が署名付きマニフェストと一致しません") % {"name": SUMS_NAME})
    listed = set()
    for entry in manifest.get("files", []):
        rel = str(entry["path"])
        listed.add(rel)
        path = directory / rel
        if not path.is_file():
            problems.append(gettext("%(path)s: ありません") % {"path": rel})
        elif path.stat().st_size != entry["size"] or sha256_file(path) != entry["sha256"]:
            problems.append(gettext("%(path)s: ダイジェストがマニフェストと一致しません") % {"path": rel})
    if DUMP_NAME not in listed:
        problems.append(gettext("%(name)s がマニフェストにありません") % {"name": DUMP_NAME})
    for path in directory.rglob("*"):
        rel = path.relative_to(directory).as_posix()
        if path.is_file() and rel not in listed and rel not in (MANIFEST_NAME, SUMS_NAME, SIGNATURE_NAME):
            problems.append(gettext("%(path)s: マニフェストにありません") % {"path": rel})
    return problems


def _signature_problems(directory: Path, manifest_path: Path) -> list[str]:
    """The manifest must carry a valid signature by the audit checkpoint key (current or retired)."""
    from audit import keys

    path = directory / SIGNATURE_NAME
    if not path.is_file():
        return [gettext("%(name)s がありません。マニフェストは署名されていません") % {"name": SIGNATURE_NAME}]
    try:
        statement = json.loads(path.read_text())
    except ValueError:
        return [gettext("%(name)s は正しい JSON ではありません") % {"name": SIGNATURE_NAME}]
    if not isinstance(statement, dict):
        return [gettext("%(name)s は署名の記述ではありません") % {"name": SIGNATURE_NAME}]
    problem = keys.signed_digest_problem(statement, sha256_file(manifest_path))
    return [f"{MANIFEST_NAME}: {problem}"] if problem else []


def _database_is_empty(target: Target) -> bool:
    out = _run(
        [
            "psql",
            "--no-psqlrc",
            "--tuples-only",
            "--no-align",
            "--command",
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S')",
        ],
        target,
    )
    return out.strip() == "0"


def restore_backup(directory: Path, database_url: str, *, actor: Actor | None = None) -> None:
    """Check the backup, then restore it into ``database_url``, which must exist and be empty
    (never the running database). One transaction: a failure leaves the target empty."""
    problems = verify_backup(directory)
    if problems:
        raise BackupError(
            gettext("バックアップがマニフェストと一致しません：%(problems)s") % {"problems": "；".join(problems)}
        )
    target = Target.from_url(database_url)
    current = Target.from_settings(settings.DATABASES["default"])
    if (target.name, target.host, target.port) == (current.name, current.host, current.port):
        raise BackupError(gettext("サービスが使用中のデータベースには復元しません。"))
    if not _database_is_empty(target):
        raise BackupError(
            gettext("データベース %(name)s は空ではありません。新しい空のデータベースにだけ復元できます。")
            % {"name": target.name}
        )
    _run(
        [
            "pg_restore",
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            "--dbname",
            target.name,
            str(Path(directory) / DUMP_NAME),
        ],
        target,
    )
    audit.record(
        "operations.backup.restored",
        actor=actor or audit.SYSTEM,
        subject=("backup", Path(directory).name),
        into=target.name,
        host=target.host,
    )
