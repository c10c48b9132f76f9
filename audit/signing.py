"""Signed checkpoints and segment manifests (Ed25519). Pure: standard library plus ``cryptography``.

A checkpoint says "the chain had ``seq`` entries and its head hash was ``head`` at ``time``"; it is
signed over the canonical JSON of exactly those fields, so anyone holding the public key can check
it without the database.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from audit.canonical import canonical_json

CHECKPOINT_TYPE_V1 = "mynatrust-audit-checkpoint/1"
# Version 2 names the checkpoint before it (prev_seq, prev_head): the signed heads form a chain too.
CHECKPOINT_TYPE = "mynatrust-audit-checkpoint/2"
CHECKPOINT_FIELDS = {
    CHECKPOINT_TYPE_V1: ("type", "seq", "head", "time", "key_id"),
    CHECKPOINT_TYPE: ("type", "seq", "head", "time", "key_id", "prev_seq", "prev_head"),
}
SEGMENT_TYPE = "mynatrust-audit-segment/1"
BACKUP_MANIFEST_TYPE = "mynatrust-backup-manifest/1"


def generate_private_key_pem() -> bytes:
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def load_private_key(pem: bytes) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("the checkpoint key must be an Ed25519 private key (PKCS#8 PEM)")
    return key


def load_public_key(pem: bytes) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("the checkpoint public key must be an Ed25519 key (PEM)")
    return key


def public_pem(key: Ed25519PublicKey) -> str:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def key_id(key: Ed25519PublicKey) -> str:
    """SHA-256 of the raw 32-byte public key, hex: the fingerprint auditors compare."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def checkpoint_payload(
    *, seq: int, head: str, time: str, kid: str, prev_seq: int | None = None, prev_head: str = ""
) -> dict[str, Any]:
    if prev_seq is None:  # signed before checkpoints were chained
        return {"type": CHECKPOINT_TYPE_V1, "seq": seq, "head": head, "time": time, "key_id": kid}
    return {
        "type": CHECKPOINT_TYPE,
        "seq": seq,
        "head": head,
        "time": time,
        "key_id": kid,
        "prev_seq": prev_seq,
        "prev_head": prev_head,
    }


def signed_checkpoint_payload(checkpoint: dict[str, Any]) -> dict[str, Any]:
    """The signed fields of a checkpoint as exported (its ``type`` says which)."""
    fields = CHECKPOINT_FIELDS.get(checkpoint.get("type", ""))
    if fields is None:
        raise ValueError(f"unknown checkpoint type {checkpoint.get('type')!r}")
    return {name: checkpoint[name] for name in fields}


def segment_payload(
    *, first_seq: int, last_seq: int, prev_hash: str, last_hash: str, sha256: str, kid: str
) -> dict[str, Any]:
    return {
        "type": SEGMENT_TYPE,
        "first_seq": first_seq,
        "last_seq": last_seq,
        "prev_hash": prev_hash,
        "last_hash": last_hash,
        "sha256": sha256,
        "key_id": kid,
    }


def sign(key: Ed25519PrivateKey, payload: dict[str, Any]) -> str:
    return base64.b64encode(key.sign(canonical_json(payload))).decode("ascii")


def verify(key: Ed25519PublicKey, payload: dict[str, Any], signature: str) -> bool:
    try:
        key.verify(base64.b64decode(signature, validate=True), canonical_json(payload))
    except (InvalidSignature, ValueError):
        return False
    return True
