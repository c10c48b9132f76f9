"""API key format: ``mtv_<12 hex prefix>_<64 hex secret>``. The prefix is public (shown in the
portal, stored in clear, unique: it finds the row); the 256-bit secret is shown once and stored as
its SHA-256. No ORM here."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

SCHEME = "Bearer"
_KEY = re.compile(r"^(mtv_[0-9a-f]{12})_([0-9a-f]{64})$")


@dataclass(frozen=True)
class NewKey:
    prefix: str
    secret_sha256: str
    plaintext: str  # shown once, never stored


def generate() -> NewKey:
    prefix = f"mtv_{secrets.token_hex(6)}"
    secret = secrets.token_hex(32)
    return NewKey(prefix=prefix, secret_sha256=digest(secret), plaintext=f"{prefix}_{secret}")


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def split(plaintext: str) -> tuple[str, str] | None:
    """(prefix, secret) of a well-formed key, else None."""
    match = _KEY.match(plaintext)
    return (match.group(1), match.group(2)) if match else None


def from_authorization(header: str) -> tuple[str, str] | None:
    """(prefix, secret) from an ``Authorization: Bearer <key>`` header value, else None."""
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != SCHEME.lower():
        return None
    return split(value.strip())


def secret_matches(secret: str, stored_sha256: str) -> bool:
    return digest_matches(digest(secret), stored_sha256)


def digest_matches(secret_sha256: str, stored_sha256: str) -> bool:
    """:func:`secret_matches` for a secret whose digest the caller already has (in constant time)."""
    return hmac.compare_digest(secret_sha256.encode(), stored_sha256.encode())
