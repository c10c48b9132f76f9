"""System checks and the key command."""

from __future__ import annotations

import os
from io import StringIO
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from django.core.management import call_command
from django.utils import translation

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


def _p384(path: Path) -> None:
    key = ec.generate_private_key(ec.SECP384R1())
    path.write_bytes(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))


def _public(path: Path, signing_keys: dict[str, Path]) -> None:
    path.write_bytes(signing.load_key(str(signing_keys["current"])).as_pem(private=False))


# (what is at the path, the problem in Japanese, in English); {path} is the key file's path.
KEY_PROBLEMS = [
    # no path set at all
    (None, "VALIDITY_SIGNING_KEY_FILE が設定されていません", "VALIDITY_SIGNING_KEY_FILE is not set"),
    # nothing there (stat fails) and a directory (the read fails): the operating system's reason follows
    ("missing", "{path} を読めません：", "cannot read {path}: "),
    ("directory", "{path} を読めません：", "cannot read {path}: "),
    ("text", "{path} は PEM の EC 鍵ではありません：", "{path} is not an EC key in PEM: "),
    ("p384", "{path}: ES256 には P-256 の鍵が必要です", "{path}: ES256 needs a P-256 key"),
    ("public", "{path} には秘密鍵がありません", "{path} holds no private key"),
]


@pytest.mark.parametrize(
    ("content", "japanese", "english"), KEY_PROBLEMS, ids=[content or "unset" for content, *_ in KEY_PROBLEMS]
)
def test_a_key_problem_is_said_in_japanese_and_in_english_through_the_catalogue(
    content, japanese, english, settings, tmp_path, signing_keys
):
    path = tmp_path / "key.pem"
    if content == "directory":
        path.mkdir()
    elif content == "text":
        path.write_text("not a key\n")
    elif content == "p384":
        _p384(path)
    elif content == "public":
        _public(path, signing_keys)
    settings.VALIDITY_SIGNING_KEY_FILE = "" if content is None else str(path)
    for language, expected in (("ja", japanese), ("en", english)):
        with translation.override(language), pytest.raises(signing.SigningKeyError) as raised:
            signing.current_key()
        assert str(raised.value).startswith(expected.format(path=path)), str(raised.value)


def test_the_checks_speak_japanese_to_the_operator_and_english_through_the_catalogue(settings):
    settings.PRODUCTION = True
    settings.VALIDITY_SIGNING_KEY_FILE = ""
    settings.VALIDITY_RATE_PER_IP = "lots"
    [key] = checks.signing_key(None)
    assert key.msg == "有効性回答に署名できる鍵がありません：VALIDITY_SIGNING_KEY_FILE が設定されていません"
    assert key.hint == (
        "VALIDITY_SIGNING_KEY_FILE に PEM の P-256 秘密鍵のファイルを指定してください"
        "（manage.py validity_signing_key create で作れます）。"
    )
    [rate] = checks.rates(None)
    assert rate.msg == "VALIDITY_RATE_PER_IP は「回数/秒数」の形で指定してください（例：600/60）。"
    with translation.override("en"):
        [key] = checks.signing_key(None)
        [rate] = checks.rates(None)
    assert key.msg == "No usable key to sign validity answers: VALIDITY_SIGNING_KEY_FILE is not set."
    assert key.hint == (
        "Set VALIDITY_SIGNING_KEY_FILE to a P-256 private key in PEM (manage.py validity_signing_key create makes one)."
    )
    assert rate.msg == "VALIDITY_RATE_PER_IP must be count/seconds (e.g. 600/60)."


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


def _events(event_type: str, target: Path) -> list:
    from audit.models import AuditEvent

    return list(AuditEvent.objects.filter(event_type=event_type, data__path=str(target)))


@pytest.mark.django_db
def test_creating_a_key_is_on_the_record_with_the_kid_the_key_set_publishes(tmp_path, settings):
    """One event, the system's from the command line, naming the file and the key by the kid that
    /.well-known/jwks.json will publish; never the private key. A refusal adds only its own event."""
    from django.core.management.base import CommandError

    target = tmp_path / "k.pem"
    out = StringIO()
    call_command("validity_signing_key", "create", str(target), stdout=out)
    settings.VALIDITY_SIGNING_KEY_FILE = str(target)
    [published] = signing.jwks()["keys"]
    [created] = _events("validity.signing_key.created", target)
    assert (created.actor_kind, created.actor_id) == ("system", "system")
    assert created.data["kid"] == published["kid"] and published["kid"] in out.getvalue()
    assert created.data["path"] == str(target)
    assert created.data["entry_point"]["command"] == "validity_signing_key create"
    private = str(signing.load_key(str(target)).as_dict(private=True)["d"])
    assert private not in str(created.data) and "PRIVATE KEY" not in str(created.data)
    with pytest.raises(CommandError):
        call_command("validity_signing_key", "create", str(target), stdout=StringIO())
    assert len(_events("validity.signing_key.created", target)) == 1
    assert len(_events("validity.signing_key.create_refused", target)) == 1


@pytest.mark.django_db
def test_a_dry_run_creates_nothing_and_records_nothing(tmp_path):
    from audit.models import AuditEvent

    target = tmp_path / "k.pem"
    before = AuditEvent.objects.count()
    call_command("validity_signing_key", "create", str(target), "--dry-run", stdout=StringIO())
    assert not target.exists() and AuditEvent.objects.count() == before


@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="needs PostgreSQL")
@pytest.mark.parametrize("where", ["empty", "unreachable"])
def test_a_key_whose_creation_cannot_be_recorded_is_not_left_behind(tmp_path, where):
    """Against a database without the service's tables (migrate not run yet), or none at all, the
    command fails in words and no key file is left that the audit log does not know of."""
    from audit.testing import manage_without_the_log

    target = tmp_path / "keys" / "k.pem"
    done = manage_without_the_log("validity_signing_key", "create", str(target), where=where)
    assert done.returncode != 0, done.stdout
    assert not target.exists()
    assert "を作りました" not in done.stdout


def test_the_outbox_keeps_the_end_notices_as_long_as_their_limit_counts_them(settings):
    # The limit counts the end notices in the mail outbox over its window; a retention period of the
    # outbox shorter than the window would delete some before they stop counting.
    assert checks.end_notice_count_kept(None) == []  # the defaults: 90 days against an hour
    settings.RETENTION_PERIODS = {**settings.RETENTION_PERIODS, "mail.outbox": "1d"}
    settings.VALIDITY_END_NOTICE_RATE = "20/86400"
    assert checks.end_notice_count_kept(None) == []
    settings.VALIDITY_END_NOTICE_RATE = "20/86401"
    assert [e.id for e in checks.end_notice_count_kept(None)] == ["validity.E003"]
    settings.RETENTION_PERIODS = {**settings.RETENTION_PERIODS, "mail.outbox": "one day"}
    assert checks.end_notice_count_kept(None) == []  # mynatrust.E101 says it


@pytest.mark.django_db
def test_the_demo_s_signing_key_is_on_the_record_like_the_command_s(tmp_path, settings):
    """The demo makes the answers' signing key itself; its creation is on the audit record as the
    command's is, said to come from demo_setup, so that an auditor trying the demo finds the key's
    beginning in the log."""
    from validity import demo

    target = tmp_path / "demo.pem"
    settings.VALIDITY_SIGNING_KEY_FILE = str(target)
    command = type("Command", (), {"stdout": StringIO(), "style": type("Style", (), {"WARNING": str})()})()
    demo.setup(command)
    [published] = signing.jwks()["keys"]
    [created] = _events("validity.signing_key.created", target)
    assert created.data["kid"] == published["kid"]
    assert created.data["entry_point"]["command"] == "demo_setup"
