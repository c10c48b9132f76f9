"""System checks and the key command."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from validity import checks, signing


def test_production_without_a_signing_key_fails_the_check(settings, tmp_path):
    settings.PRODUCTION = True
    settings.VALIDITY_SIGNING_KEY_FILE = ""
    assert [e.id for e in checks.signing_key(None)] == ["validity.E001"]
    settings.VALIDITY_SIGNING_KEY_FILE = str(tmp_path / "absent.pem")
    assert [e.id for e in checks.signing_key(None)] == ["validity.E001"]


def test_production_with_a_key_passes_and_the_demo_needs_none(settings, signing_keys):
    settings.PRODUCTION = True
    assert checks.signing_key(None) == []
    settings.PRODUCTION = False
    settings.VALIDITY_SIGNING_KEY_FILE = ""
    assert checks.signing_key(None) == []


def test_a_public_key_alone_cannot_sign(settings, tmp_path, signing_keys):
    public = tmp_path / "public.pem"
    public.write_bytes(signing.load_key(str(signing_keys["current"])).as_pem(private=False))
    settings.VALIDITY_SIGNING_KEY_FILE = str(public)
    settings.PRODUCTION = True
    assert [e.id for e in checks.signing_key(None)] == ["validity.E001"]


def test_a_malformed_rate_is_reported(settings):
    settings.VALIDITY_RATE_PER_KEY = "lots"
    assert [e.id for e in checks.rates(None)] == ["validity.E002"]


@pytest.mark.django_db  # the refusal to overwrite is recorded
def test_the_command_creates_a_key_once_and_never_overwrites(tmp_path, capsys):
    target = tmp_path / "k.pem"
    call_command("validity_signing_key", "create", str(target), "--dry-run")
    assert not target.exists()
    call_command("validity_signing_key", "create", str(target))
    assert target.stat().st_mode & 0o777 == 0o600
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="は既にあります。鍵は決して上書きしません。"):
        call_command("validity_signing_key", "create", str(target))


@pytest.mark.django_db
def test_refusing_to_overwrite_a_key_is_on_the_record_and_leaves_the_key_as_it_was(tmp_path, monkeypatch):
    """The refusal, with --dry-run too, and for a file made by another run after the command looked,
    is the system's from the command line, naming the file."""
    from pathlib import Path

    from django.core.management.base import CommandError

    from audit.models import AuditEvent

    target = tmp_path / "k.pem"
    call_command("validity_signing_key", "create", str(target), stdout=StringIO())
    kept = target.read_bytes()
    refusal = r"^.+k\.pem は既にあります。鍵は決して上書きしません。$"
    for extra in ([], ["--dry-run"]):
        with pytest.raises(CommandError, match=refusal):
            call_command("validity_signing_key", "create", str(target), *extra, stdout=StringIO())
    # Another run wrote the file between the command's look and its write.
    real = Path.exists
    monkeypatch.setattr(Path, "exists", lambda self, **kw: self != target and real(self, **kw))
    with pytest.raises(CommandError, match=refusal):
        call_command("validity_signing_key", "create", str(target), stdout=StringIO())
    monkeypatch.undo()
    assert target.read_bytes() == kept and target.stat().st_mode & 0o777 == 0o600
    refused = list(AuditEvent.objects.filter(event_type="validity.signing_key.create_refused", data__path=str(target)))
    assert len(refused) == 3
    for event in refused:
        assert (event.actor_kind, event.actor_id) == ("system", "system")
        assert event.data["refused"] is True and event.data["code"] == "exists"
        assert event.data["reason"] == f"{target} は既にあります。鍵は決して上書きしません。"
        assert event.data["entry_point"]["command"] == "validity_signing_key create"
