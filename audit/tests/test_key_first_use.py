"""The checkpoint key made outside production without `audit_key --generate`: by the demo's set-up,
or on first use (development, tests without a key of their own). Either way its creation is on the
audit log, like the command's, and no key file stays whose creation the log does not know of."""

from __future__ import annotations

import os
from io import StringIO
from pathlib import Path

import pytest


def _created(target: Path) -> list:
    from audit.models import AuditEvent

    return list(AuditEvent.objects.filter(event_type="audit.checkpoint_key.created", data__path=str(target)))


@pytest.mark.django_db
def test_the_demo_s_set_up_records_the_key_it_makes(tmp_path, settings):
    from audit import demo, keys, signing

    target = tmp_path / "demo" / "checkpoint.pem"
    settings.AUDIT_CHECKPOINT_KEY_PATH = str(target)
    command = type("Command", (), {"stdout": StringIO()})()
    demo.setup(command)
    [created] = _created(target)
    assert created.data["key_id"] == signing.key_id(keys.private_key().public_key())
    assert created.data["entry_point"]["command"] == "demo_setup"
    assert (created.actor_kind, created.actor_id) == ("system", "system")
    demo.setup(command)  # idempotent: the key is there, nothing more to record
    assert len(_created(target)) == 1


@pytest.mark.django_db
def test_first_use_outside_production_records_the_key_once(tmp_path, settings):
    from audit import keys, signing

    target = tmp_path / "first" / "checkpoint.pem"
    settings.AUDIT_CHECKPOINT_KEY_PATH = str(target)
    key = keys.private_key()
    [created] = _created(target)
    assert created.data["key_id"] == signing.key_id(key.public_key())
    assert created.data["entry_point"]["entry"] == "first_use"
    assert created.data["entry_point"]["command"] == keys.FIRST_USE
    assert created.user_agent == keys.FIRST_USE
    assert target.stat().st_mode & 0o777 == 0o600
    keys.private_key()
    assert len(_created(target)) == 1


@pytest.mark.django_db(transaction=True)
def test_first_use_inside_the_sequencer_s_transaction_is_recorded_on_its_own(tmp_path, settings):
    """The sequencer asks for the key inside its transaction: the key's event commits with the file,
    on a connection of its own, whatever that transaction does next."""
    import audit
    from audit import sealing

    target = tmp_path / "sealing" / "checkpoint.pem"
    settings.AUDIT_CHECKPOINT_KEY_PATH = str(target)
    audit.record("test.event", actor=audit.SYSTEM)
    checkpoint = sealing.checkpoint_now()
    [created] = _created(target)
    assert checkpoint is not None and checkpoint.key_id == created.data["key_id"]


@pytest.mark.django_db
def test_production_never_makes_a_key(tmp_path, settings):
    from audit import keys

    target = tmp_path / "prod" / "checkpoint.pem"
    settings.AUDIT_CHECKPOINT_KEY_PATH = str(target)
    settings.PRODUCTION = True
    with pytest.raises(keys.KeyUnavailable):
        keys.private_key()
    assert not target.exists() and _created(target) == []


@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="needs PostgreSQL")
@pytest.mark.parametrize("where", ["empty", "unreachable"])
def test_no_key_is_made_on_first_use_where_it_cannot_be_recorded(tmp_path, monkeypatch, where):
    from audit.testing import manage_without_the_log

    target = tmp_path / "checkpoint.pem"
    monkeypatch.setenv("AUDIT_CHECKPOINT_KEY_PATH", str(target))
    done = manage_without_the_log("audit_key", where=where)
    assert done.returncode != 0, done.stdout
    assert "Traceback" not in done.stderr, done.stderr
    assert not target.exists()


@pytest.mark.django_db
def test_demo_setup_makes_the_key_before_recording_anything(tmp_path, settings):
    """The set-up's first event wakes the sealer, which signs with the key: made any later, a running
    demo's sealer would make it on first use instead of the set-up."""
    from django.core.management import call_command

    from audit.models import AuditEvent

    settings.DEMO_MODE = True
    settings.SIGNATURE_TEST_PKI_DIR = str(tmp_path / "testpki")
    settings.VALIDITY_SIGNING_KEY_FILE = str(tmp_path / "validity.pem")
    target = tmp_path / "demo" / "checkpoint.pem"
    settings.AUDIT_CHECKPOINT_KEY_PATH = str(target)
    before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    call_command("demo_setup", stdout=StringIO())
    first = AuditEvent.objects.filter(id__gt=before).order_by("id").first()
    assert first is not None and first.event_type == "audit.checkpoint_key.created"
    assert first.data["path"] == str(target) and first.data["entry_point"]["command"] == "demo_setup"
