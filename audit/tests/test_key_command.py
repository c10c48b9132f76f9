"""`manage.py audit_key --generate PATH`: a new checkpoint key is on the audit log, with the key ID
auditors compare; a key whose creation cannot be recorded is not left behind."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError


def _events(event_type: str, target: Path) -> list:
    from audit.models import AuditEvent

    return list(AuditEvent.objects.filter(event_type=event_type, data__path=str(target)))


def _published_key_id(client, settings, target: Path) -> str:
    """The key ID `manage.py audit_key` prints for the key at ``target``, checked against the one
    the service publishes with the key (/.well-known/audit-checkpoint-key.pem)."""
    settings.AUDIT_CHECKPOINT_KEY_PATH = str(target)
    shown = StringIO()
    call_command("audit_key", stdout=shown)
    [key_id] = re.findall(r"鍵 ID（鍵そのものの SHA-256）：([0-9a-f]{64})", shown.getvalue())
    assert client.get("/.well-known/audit-checkpoint-key.pem")["X-Key-ID"] == key_id
    return key_id


@pytest.mark.django_db
def test_generating_a_key_is_on_the_record_with_the_key_id_auditors_compare(tmp_path, settings, client):
    """One event, the system's from the command line, naming the file and the key by the key ID
    auditors compare; never the private key."""
    target = tmp_path / "checkpoint.pem"
    out = StringIO()
    call_command("audit_key", "--generate", str(target), stdout=out)
    key_id = _published_key_id(client, settings, target)
    [created] = _events("audit.checkpoint_key.created", target)
    assert (created.actor_kind, created.actor_id) == ("system", "system")
    assert created.data["key_id"] == key_id and key_id in out.getvalue()
    assert created.data["path"] == str(target)
    assert created.data["entry_point"]["command"] == "audit_key --generate"
    assert "PRIVATE KEY" not in str(created.data)
    assert target.stat().st_mode & 0o777 == 0o600


@pytest.mark.django_db
def test_refusing_to_overwrite_a_key_is_on_the_record_and_leaves_the_key_as_it_was(tmp_path):
    target = tmp_path / "checkpoint.pem"
    call_command("audit_key", "--generate", str(target), stdout=StringIO())
    kept = target.read_bytes()
    with pytest.raises(CommandError, match=r"^.+checkpoint\.pem は既にあります。鍵は決して上書きしません。$"):
        call_command("audit_key", "--generate", str(target), stdout=StringIO())
    assert target.read_bytes() == kept and target.stat().st_mode & 0o777 == 0o600
    assert len(_events("audit.checkpoint_key.created", target)) == 1
    [refused] = _events("audit.checkpoint_key.create_refused", target)
    assert (refused.actor_kind, refused.actor_id) == ("system", "system")
    assert refused.data["refused"] is True and refused.data["code"] == "exists"
    assert refused.data["reason"] == f"{target} は既にあります。鍵は決して上書きしません。"
    assert refused.data["entry_point"]["command"] == "audit_key --generate"


@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="needs PostgreSQL")
@pytest.mark.parametrize("where", ["empty", "unreachable"])
def test_a_key_whose_creation_cannot_be_recorded_is_not_left_behind(tmp_path, where):
    """Against a database without the service's tables (migrate not run yet), or none at all, the
    command fails in words and leaves no key file that the audit log does not know of."""
    from audit.testing import manage_without_the_log

    target = tmp_path / "checkpoint.pem"
    done = manage_without_the_log("audit_key", "--generate", str(target), where=where)
    assert done.returncode != 0, done.stdout
    assert not target.exists()
    assert "監査ログに記録できないため、鍵を作りませんでした（先に migrate を実行してください）" in done.stderr


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)  # the command runs in its own process, on the test database
@pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="needs PostgreSQL")
def test_in_production_the_key_the_checks_ask_for_can_be_generated(tmp_path):
    """Production refuses to pass the checks without a checkpoint key (audit.E001, whose hint names
    this command); making that key does not wait for them."""
    from django.db import connection

    target = tmp_path / "checkpoint.pem"
    server = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
    production = {
        "MYNATRUST_PRODUCTION": "true",
        "SECRET_KEY": "p" * 64,
        "ALLOWED_HOSTS": "eloa.example.jp",
        "DATABASE_URL": f"{server}/{connection.settings_dict['NAME']}",
        "AUDIT_CHECKPOINT_KEY_PATH": str(target),
    }
    done = subprocess.run(
        [sys.executable, "manage.py", "audit_key", "--generate", str(target)],
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, **production},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert target.exists() and len(_events("audit.checkpoint_key.created", target)) == 1


@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="needs PostgreSQL")
@pytest.mark.parametrize(
    ("command", "name"),
    [(("audit_key", "--generate"), "checkpoint.pem"), (("validity_signing_key", "create"), "answer-key.pem")],
)
@pytest.mark.parametrize("where", ["empty", "unreachable"])
def test_an_existing_key_is_kept_and_the_refusal_told_in_words_without_a_database(tmp_path, command, name, where):
    """Refusing to replace a key does not need the log to refuse: without it the key stays as it
    was and the operator reads why, and that the refusal could not be recorded, not a traceback."""
    from audit.testing import manage_without_the_log

    target = tmp_path / name
    target.write_bytes(b"an existing key\n")
    done = manage_without_the_log(*command, str(target), where=where)
    assert done.returncode != 0, done.stdout
    assert target.read_bytes() == b"an existing key\n"
    assert "Traceback" not in done.stderr, done.stderr
    assert f"{target} は既にあります。鍵は決して上書きしません。" in done.stderr, done.stderr
    assert "この拒否は監査ログに記録できませんでした" in done.stderr, done.stderr
