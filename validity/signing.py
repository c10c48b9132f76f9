"""Signed answers: a compact JWS (ES256) under the service's response key, whose public half is
published at ``/.well-known/jwks.json`` with the keys still honoured after a rotation.

Keys are PEM files whose paths come from settings (mounted from a secret store in production):
``VALIDITY_SIGNING_KEY_FILE`` is the current private key; ``VALIDITY_PUBLISHED_KEY_FILES`` lists
earlier keys (public or private PEM) still published so answers signed before a rotation keep
verifying. A key's ``kid`` is its RFC 7638 thumbprint. Files are read once per process (restart or
reload workers after a rotation).
"""

from __future__ import annotations

import base64
import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils
from django.conf import settings
from django.utils.translation import gettext
from joserfc.jwk import ECKey

ALGORITHM = "ES256"
MEDIA_TYPE = "application/jose"


class SigningKeyError(Exception):
    """A key that cannot sign or be published; its text is in the language active when it was raised
    (the system check's, Japanese by default)."""


@lru_cache(maxsize=16)
def _load(path: str, mtime: float) -> ECKey:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise SigningKeyError(_unreadable(path, exc)) from exc
    try:
        key = ECKey.import_key(data)
    except Exception as exc:
        raise SigningKeyError(
            gettext("%(path)s は PEM の EC 鍵ではありません：%(error)s") % {"path": path, "error": exc}
        ) from exc
    if key.as_dict(private=False).get("crv") != "P-256":
        raise SigningKeyError(gettext("%(path)s: ES256 には P-256 の鍵が必要です") % {"path": path})
    key.ensure_kid()  # its thumbprint, computed once per file instead of at every signature
    return key


def load_key(path: str) -> ECKey:
    try:
        mtime = os.stat(path).st_mtime
    except OSError as exc:
        raise SigningKeyError(_unreadable(path, exc)) from exc
    return _load(path, mtime)


def _unreadable(path: str, exc: OSError) -> str:
    return gettext("%(path)s を読めません：%(error)s") % {"path": path, "error": exc.strerror}


def current_key() -> ECKey:
    path = settings.VALIDITY_SIGNING_KEY_FILE
    if not path:
        raise SigningKeyError(gettext("VALIDITY_SIGNING_KEY_FILE が設定されていません"))
    key = load_key(path)
    if not key.is_private:
        raise SigningKeyError(gettext("%(path)s には秘密鍵がありません") % {"path": path})
    return key


def public_jwk(key: ECKey) -> dict[str, Any]:
    return {**key.as_dict(private=False), "kid": key.kid or key.thumbprint(), "alg": ALGORITHM, "use": "sig"}


def jwks() -> dict[str, Any]:
    """The published key set: the current key first, then the earlier ones, each once."""
    keys: list[dict[str, Any]] = []
    seen: set[str] = set()
    paths = [settings.VALIDITY_SIGNING_KEY_FILE, *settings.VALIDITY_PUBLISHED_KEY_FILES]
    for path in paths:
        if not path:
            continue
        try:
            key = load_key(path)
        except SigningKeyError:
            continue  # the system check reports it; the set still publishes what it can
        jwk = public_jwk(key)
        if jwk["kid"] not in seen:
            seen.add(jwk["kid"])
            keys.append(jwk)
    return {"keys": keys}


def sign(payload: bytes, key: ECKey | None = None) -> str:
    """The compact JWS of ``payload`` under ``key`` (by default the current key)."""
    return signed(payload, key or current_key()).decode("ascii")


def signed(payload: bytes, key: ECKey) -> bytes:
    """:func:`sign` as bytes (a response body).

    Written out here (RFC 7515 §7.1, ES256 as RFC 7518 §3.4 has it: ``r`` and ``s`` as 32 bytes
    each) rather than through joserfc's generic path, which cost more than the signature itself on
    the service's busiest answer: the header is the same for every answer under a key, so it is
    encoded once per key. joserfc still loads the keys and publishes them; the tests verify the
    answers with it and with the documented example verifier."""
    private, header = _signer(key)
    signing_input = header + b"." + _b64(payload)
    r, s = utils.decode_dss_signature(private.sign(signing_input, _ES256))
    return signing_input + b"." + _b64(r.to_bytes(32, "big") + s.to_bytes(32, "big"))


_ES256 = ec.ECDSA(hashes.SHA256())
# Per key object (loaded once per file): its private key as cryptography holds it and the encoded
# header, so that joserfc's key checks run once per key, not at every answer.
_signers: dict[int, tuple[ECKey, ec.EllipticCurvePrivateKey, bytes]] = {}


def _signer(key: ECKey) -> tuple[ec.EllipticCurvePrivateKey, bytes]:
    kept = _signers.get(id(key))
    if kept is None or kept[0] is not key:
        if len(_signers) >= 16:
            _signers.clear()
        kept = _signers[id(key)] = (key, key.get_op_key("sign"), _header_segment(key.kid or key.thumbprint()))
    return kept[1], kept[2]


@lru_cache(maxsize=16)
def _header_segment(kid: str) -> bytes:
    header = {"alg": ALGORITHM, "kid": kid, "typ": "JOSE", "cty": "json"}
    return _b64(json.dumps(header, separators=(",", ":")).encode())


def _b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def generate_key_file(path: Path) -> str:
    """Write a new P-256 private key (PEM, mode 0600) and return its kid. Refuses to overwrite."""
    private = ec.generate_private_key(ec.SECP256R1())
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    return ECKey.import_key(pem).thumbprint()
