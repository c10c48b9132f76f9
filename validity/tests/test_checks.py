"""System checks and the key command."""

from __future__ import annotations

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


def test_the_command_creates_a_key_once_and_never_overwrites(tmp_path, capsys):
    target = tmp_path / "k.pem"
    call_command("validity_signing_key", "create", str(target), "--dry-run")
    assert not target.exists()
    call_command("validity_signing_key", "create", str(target))
    assert target.stat().st_mode & 0o777 == 0o600
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="は既にあります。鍵は決して上書きしません。"):
        call_command("validity_signing_key", "create", str(target))
