"""A backup restored onto a second PostgreSQL server, started here with ``initdb`` on a port of its
own, and the service pointed at it (its commands run as separate processes with that
``DATABASE_URL`` and the same key host: checkpoint key and last signed head).

- A backup as new as the last signed head: the new server's system identifier is noticed, every
  event is sealed (those left unsealed in the backup carry the old server's transaction IDs, far above
  the new server's), new events keep being sealed and signed, ``audit_verify`` passes, /healthz is
  green.
- A backup older than the last signed head: events are still sealed, but nothing is signed, the
  refusal is an audit event, /healthz is red and ``audit_verify`` fails, until the loss is
  acknowledged by two staff members (``audit_restore``); then the gap stays on the record."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.conf import settings as django_settings
from django.db import connection

import audit
from audit import heads
from audit.sealing import checkpoint_now, seal_pending
from bench import soak
from conftest import make_staff
from mynatrust.db import is_postgresql
from mynatrust.operations import backup
from mynatrust.tests.clusters import Cluster, cluster  # noqa: F401  (the private cluster fixture)

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not is_postgresql(django_settings.DATABASES["default"]), reason="needs PostgreSQL"),
]

# What the service's processes report about the database they are pointed at.
REPORT = """
import json
from django.test import Client
from audit.models import AuditEvent, AuditSealBatch
from audit.public import head_problem
answer = Client().get("/healthz")
batch = AuditSealBatch.objects.order_by("-last_seq").first()
print(json.dumps({
    "healthz": answer.status_code,
    "checks": json.loads(answer.content)["checks"],
    "unsealed": AuditEvent.objects.unsealed().count(),
    "system_id": batch.system_id if batch else "",
    "head_problem": head_problem(),
    "refused": AuditEvent.objects.filter(event_type="audit.checkpoint_refused").count(),
}))
"""

RECORD = """
import audit
from audit import labels
labels.declare_namespace("test", "テスト")  # as conftest.py does in the test process
for n in range(3):
    audit.record("test.after_restore", actor=audit.SYSTEM, n=n)
"""


class Service:
    """The service's commands against one database URL, on the key host of the test's service."""

    def __init__(self, url: str, settings: Any) -> None:
        self.url = url
        self.env = {
            **os.environ,
            "DATABASE_URL": url,
            "DJANGO_SETTINGS_MODULE": "mynatrust.settings",
            "AUDIT_CHECKPOINT_KEY_PATH": settings.AUDIT_CHECKPOINT_KEY_PATH,
            "AUDIT_HEAD_STATE_PATH": settings.AUDIT_HEAD_STATE_PATH,
            "AUDIT_ARCHIVE_DIR": settings.AUDIT_ARCHIVE_DIR,
            "AUDIT_SEALER": "off",
            "AUDIT_CHECKPOINT_EVERY": "1",
        }

    def manage(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True, text=True, check=False
        )
        if check and done.returncode != 0:
            raise AssertionError(f"manage.py {' '.join(args)}: {done.returncode}\n{done.stdout}\n{done.stderr}")
        return done

    def report(self) -> dict[str, Any]:
        return json.loads(self.manage("shell", "-c", REPORT).stdout.strip().splitlines()[-1])

    def system_identifier(self) -> str:
        with psycopg.connect(self.url) as conn:
            row = conn.execute("SELECT system_identifier::text FROM pg_control_system()").fetchone()
        assert row is not None
        return str(row[0])


def _source_system_identifier() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT system_identifier::text FROM pg_control_system()")
        return str(cursor.fetchone()[0])


@pytest.fixture
def key_host(settings: Any, tmp_path: Path) -> Any:
    """The checkpoint key and its head file, shared by the service before and after the restore."""
    from audit import signing

    key = tmp_path / "checkpoint.pem"
    key.write_bytes(signing.generate_private_key_pem())
    settings.AUDIT_CHECKPOINT_KEY_PATH = str(key)
    settings.AUDIT_SEALER = "off"
    settings.AUDIT_CHECKPOINT_EVERY = 1
    settings.AUDIT_ARCHIVE_DIR = str(tmp_path / "archive")
    return settings


def _signed_log(count: int = 5) -> None:
    for n in range(count):
        audit.record("test.before_backup", actor=audit.SYSTEM, n=n)
    seal_pending()
    checkpoint_now()


def test_a_restore_onto_another_server_is_noticed_keeps_sealing_and_verifies(key_host, tmp_path, cluster):  # noqa: F811
    _signed_log()
    # Committed but not yet sealed when the backup is taken: written with this server's transaction IDs.
    for n in range(2):
        audit.record("test.unsealed_in_backup", actor=audit.SYSTEM, n=n)
    directory = backup.create_backup(tmp_path / "backups")

    with soak.database(cluster.url, "mynatrust_restored") as url:
        backup.restore_backup(directory, url)
        service = Service(url, key_host)
        assert service.system_identifier() != _source_system_identifier()

        sealed = service.manage("audit_seal").stdout
        assert "チェックポイントは #" in sealed, sealed
        facts = service.report()
        assert facts["unsealed"] == 0, facts
        assert facts["system_id"] == service.system_identifier()

        service.manage("shell", "-c", RECORD)  # the service keeps working on the new server
        assert "3 件を封印しました" in service.manage("audit_seal").stdout
        facts = service.report()
        assert facts["unsealed"] == 0 and facts["head_problem"] is None and facts["refused"] == 0, facts
        assert facts["healthz"] == 200, facts
        assert facts["checks"]["audit_signed_head"] == "ok" and facts["checks"]["audit_unsealed_age"] == "ok"
        verified = service.manage("audit_verify")
        assert "監査ログを検証しました" in verified.stdout


def _code(user: Any) -> str:
    from delegations.tests.test_trust_anchors import code_for

    return code_for(user)


def test_a_restore_older_than_the_last_signed_head_is_refused_until_two_people_acknowledge_it(
    key_host,
    tmp_path,
    cluster,  # noqa: F811
):
    manager = make_staff("service_manager", "manager@staff.example.jp")
    auditor = make_staff("auditor", "auditor@staff.example.jp")
    _signed_log()
    directory = backup.create_backup(tmp_path / "backups")
    _signed_log(4)  # the service goes on after the backup: the head file moves past it
    signed = heads.read(Path(key_host.AUDIT_HEAD_STATE_PATH))
    assert signed is not None

    with soak.database(cluster.url, "mynatrust_restored") as url:
        backup.restore_backup(directory, url)
        service = Service(url, key_host)
        service.manage("shell", "-c", RECORD)
        sealed = service.manage("audit_seal").stdout
        assert "チェックポイントは #" not in sealed, sealed  # sealed, but the sequencer signs nothing
        sealed = service.manage("audit_seal").stdout  # the refusal itself is sealed too
        facts = service.report()
        assert facts["unsealed"] == 0 and facts["refused"] == 1, facts
        assert facts["head_problem"], facts
        assert facts["healthz"] == 503 and facts["checks"]["audit_signed_head"] == "error", facts
        verified = service.manage("audit_verify", check=False)
        assert verified.returncode != 0, verified.stdout

        status = service.manage("audit_restore", "status").stdout
        assert f"署名された先頭 #{signed.seq}" in status, status
        service.env["MYNATRUST_OTP_CODE"] = _code(manager)
        asked = service.manage("audit_restore", "request", "--as", manager.email, "--reason", "月次の復元訓練")
        request_id = asked.stdout.split()[1]
        service.env["MYNATRUST_OTP_CODE"] = _code(auditor)
        done = service.manage("audit_restore", "acknowledge", request_id, "--as", auditor.email)
        assert "の欠落を確認しました" in done.stdout, done.stdout

        sealed = service.manage("audit_seal").stdout
        assert "チェックポイントは #" in sealed, sealed  # signing resumed
        facts = service.report()
        assert facts["head_problem"] is None and facts["healthz"] == 200, facts
        verified = service.manage("audit_verify")
        assert "監査ログを検証しました" in verified.stdout
        # The gap stays on the record: every verification names it.
        assert f"-#{signed.seq}".replace("-", "–") in verified.stdout, verified.stdout
