"""The checkpoint signing key: a file outside the database (production: mounted from a secret store).
Outside production a missing key is generated on first use, so the demo and tests need no set-up; its
creation is recorded as ``manage.py audit_key --generate`` records it (audit.commandline.CHECKPOINT_KEY)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from functools import cache
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.management.base import CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils.translation import gettext

from audit import signing
from audit.commandline import CHECKPOINT_KEY

# Where a checkpoint key made on first use says it came from (the entry point of its creation event),
# in the words the audit log shows: it is no command line, but whatever process first needed the key.
FIRST_USE = "初回使用時に自動作成"


class KeyUnavailable(Exception):
    pass


class KeyNotYetMade(KeyUnavailable):
    """Outside production on SQLite, the key is first needed inside a transaction, where it cannot be
    made on the record (a second connection would wait for that transaction's write lock): it is made
    at its first use outside one (the demo's set-up, the published key, ``audit_key``)."""


def key_path() -> Path | None:
    value = getattr(settings, "AUDIT_CHECKPOINT_KEY_PATH", None)
    return Path(value) if value else None


def head_path() -> Path | None:
    """Where the sequencer keeps its last signed head (audit.heads)."""
    value = getattr(settings, "AUDIT_HEAD_STATE_PATH", "")
    if value:
        return Path(value)
    key = key_path()
    return key.with_name(key.name + ".head") if key else None


def generate_key_file(path: Path) -> str:
    """Write a new Ed25519 private key (PKCS#8 PEM, mode 0600) and return its key ID. Refuses to
    overwrite (FileExistsError)."""
    pem = signing.generate_private_key_pem()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    return signing.key_id(signing.load_private_key(pem).public_key())


def _ensure(path: Path) -> None:
    """Outside production, make the missing checkpoint key, on the record (CHECKPOINT_KEY). Inside an
    open transaction (the sequencer's) the file and its event are committed on a connection of their
    own, so that neither outlives the other whatever that transaction does next. A key made meanwhile
    by another process is simply used."""
    if path.exists() or settings.PRODUCTION:
        return
    path.parent.mkdir(parents=True, exist_ok=True)

    def create() -> None:
        CHECKPOINT_KEY.create_if_absent(path, generate_key_file, command=FIRST_USE, entry="first_use")

    from audit.recorder import in_real_transaction  # the recorder stands above the sequencer, which uses this module

    try:
        if not in_real_transaction(DEFAULT_DB_ALIAS):
            create()
        elif connections[DEFAULT_DB_ALIAS].vendor != "postgresql":
            # SQLite: a second connection would wait for this transaction's write lock.
            raise KeyNotYetMade(
                gettext("チェックポイントの署名鍵 %(path)s は、トランザクションの外で初めて使うときに作ります")
                % {"path": path}
            )
        else:
            _on_its_own_connection(create)
    except CommandError as err:  # its creation could not be recorded: no key was left behind
        raise KeyUnavailable(str(err)) from err


def _on_its_own_connection(task: Callable[[], None]) -> None:
    """Run ``task`` in a thread of its own, whose connection to the database is its own, and wait."""
    failure: list[BaseException] = []

    def run() -> None:
        try:
            task()
        except BaseException as exc:  # noqa: BLE001  (handed back to the caller's thread)
            failure.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, name="audit-checkpoint-key")
    thread.start()
    thread.join()
    if failure:
        raise failure[0]


def _generate_if_missing(path: Path) -> None:
    """The demo witness's key (the witness's own, not the service's): made where it is first needed."""
    if path.exists() or settings.PRODUCTION:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        generate_key_file(path)
    except FileExistsError:  # another process generated it first
        return


@cache
def _load(path: str) -> Ed25519PrivateKey:
    return signing.load_private_key(Path(path).read_bytes())


def private_key() -> Ed25519PrivateKey:
    path = key_path()
    if path is None:
        raise KeyUnavailable(gettext("AUDIT_CHECKPOINT_KEY_PATH が設定されていません"))
    _ensure(path)
    try:
        return _load(str(path))
    except (OSError, ValueError) as err:
        raise KeyUnavailable(
            gettext("チェックポイントの署名鍵 %(path)s を読み込めません：%(error)s") % {"path": path, "error": err}
        ) from err


def public_keys() -> dict[str, Ed25519PublicKey]:
    """Every key a checkpoint may be signed with, by key ID: the current one and retired ones
    (AUDIT_CHECKPOINT_PUBLIC_KEYS, PEM files kept after a key rotation)."""
    keys: dict[str, Ed25519PublicKey] = {}
    for extra in getattr(settings, "AUDIT_CHECKPOINT_PUBLIC_KEYS", []):
        key = signing.load_public_key(Path(extra).read_bytes())
        keys[signing.key_id(key)] = key
    try:
        current = private_key().public_key()
    except KeyUnavailable:
        return keys
    keys[signing.key_id(current)] = current
    return keys


def witness_public_keys() -> dict[str, Ed25519PublicKey]:
    """The witnesses whose cosignatures the service accepts, by key ID (AUDIT_WITNESS_PUBLIC_KEYS)."""
    found: dict[str, Ed25519PublicKey] = {}
    for path in getattr(settings, "AUDIT_WITNESS_PUBLIC_KEYS", []):
        key = signing.load_public_key(Path(path).read_bytes())
        found[signing.key_id(key)] = key
    if not settings.PRODUCTION:  # the demo's witness runs on the same machine (audit_witness --local)
        value = getattr(settings, "AUDIT_WITNESS_KEY_PATH", "")
        if value and Path(value).exists():
            local = signing.load_private_key(Path(value).read_bytes()).public_key()
            found[signing.key_id(local)] = local
    return found


def witness_paths() -> tuple[Path, Path]:
    """This host's witness key and head file (``manage.py audit_witness``)."""
    value = getattr(settings, "AUDIT_WITNESS_KEY_PATH", "")
    if not value:
        raise KeyUnavailable(gettext("AUDIT_WITNESS_KEY_PATH が設定されていません"))
    key = Path(value)
    state = getattr(settings, "AUDIT_WITNESS_STATE_PATH", "")
    return key, Path(state) if state else key.with_name(key.name + ".head")


def witness_private_key() -> Ed25519PrivateKey:
    path, _state = witness_paths()
    _generate_if_missing(path)
    try:
        return signing.load_private_key(path.read_bytes())
    except (OSError, ValueError) as err:
        raise KeyUnavailable(
            gettext("立会人の鍵 %(path)s を読み込めません：%(error)s") % {"path": path, "error": err}
        ) from err


def sign_digest(sha256: str) -> dict[str, str]:
    """A statement, signed with the checkpoint key, that a file (a backup's manifest) had this
    SHA-256: ``{"type", "sha256", "key_id", "signature"}``."""
    key = private_key()
    payload = {"type": signing.BACKUP_MANIFEST_TYPE, "sha256": sha256, "key_id": signing.key_id(key.public_key())}
    return {**payload, "signature": signing.sign(key, payload)}


def signed_digest_problem(statement: dict[str, str], sha256: str) -> str | None:
    """Why ``statement`` (from ``sign_digest``) does not vouch for ``sha256``; None when it does."""
    payload = {name: statement.get(name) for name in ("type", "sha256", "key_id")}
    key = public_keys().get(str(statement.get("key_id")))
    if key is None:
        return gettext("知らない鍵で署名されています")
    if payload["type"] != signing.BACKUP_MANIFEST_TYPE or not signing.verify(
        key, payload, str(statement.get("signature"))
    ):
        return gettext("署名を検証できません")
    if payload["sha256"] != sha256:
        return gettext("署名は別のマニフェストに対するものです")
    return None
