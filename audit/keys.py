"""The checkpoint signing key: a file outside the database (production: mounted from a secret store).
Outside production a missing key is generated on first use, so the demo and tests need no set-up."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings

from audit import signing


class KeyUnavailable(Exception):
    pass


def key_path() -> Path | None:
    value = getattr(settings, "AUDIT_CHECKPOINT_KEY_PATH", None)
    return Path(value) if value else None


def _ensure(path: Path) -> None:
    if path.exists() or settings.PRODUCTION:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process generated it first
        return
    with os.fdopen(fd, "wb") as fh:
        fh.write(signing.generate_private_key_pem())


@cache
def _load(path: str) -> Ed25519PrivateKey:
    return signing.load_private_key(Path(path).read_bytes())


def private_key() -> Ed25519PrivateKey:
    path = key_path()
    if path is None:
        raise KeyUnavailable("AUDIT_CHECKPOINT_KEY_PATH is not set")
    _ensure(path)
    try:
        return _load(str(path))
    except (OSError, ValueError) as err:
        raise KeyUnavailable(f"cannot load the checkpoint key {path}: {err}") from err


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
