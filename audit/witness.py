"""The witness: a second party, on another host and under another role, that keeps the last signed
head it saw and cosigns a new checkpoint only when the chain leads from that head to it (as
Certificate Transparency witnesses cosign tree heads; for a hash chain the consistency proof is the
run of chain links between the two heads). Pure: standard library plus ``cryptography``.

What it is given — from ``/.well-known/audit-checkpoint?since=SEQ`` or from an export — is a
document ``{"checkpoint": {...signed fields, "signature"}, "links": [{"seq", "digest", "hash"}...]}``
with the links after the witness's last head up to the checkpoint.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from audit import chain, heads, signing

COSIGNATURE_TYPE = "mynatrust-audit-cosignature/1"
COSIGNATURE_FIELDS = ("type", "seq", "head", "checkpoint_key_id", "time", "witness_key_id")


class Refused(Exception):
    """The witness will not cosign: the checkpoint is not signed by the service's key, or it does
    not extend the last head the witness cosigned (a fork, or a log cut back)."""


def cosignature_payload(cosignature: dict[str, Any]) -> dict[str, Any]:
    return {name: cosignature[name] for name in COSIGNATURE_FIELDS}


def verify_cosignature(key: Ed25519PublicKey, cosignature: dict[str, Any]) -> bool:
    return (
        cosignature.get("type") == COSIGNATURE_TYPE
        and cosignature.get("witness_key_id") == signing.key_id(key)
        and signing.verify(key, cosignature_payload(cosignature), cosignature.get("signature", ""))
    )


def links_of(items: Iterable[dict[str, Any]]) -> Iterable[tuple[int, str, str]]:
    for item in items:
        yield int(item["seq"]), str(item["digest"]), str(item["hash"])


def cosign(
    document: dict[str, Any],
    *,
    service_key: Ed25519PublicKey,
    witness_key: Ed25519PrivateKey,
    state: Path,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Check ``document`` and cosign its checkpoint; the witness's head file moves on to it."""
    checkpoint = document["checkpoint"]
    if checkpoint.get("key_id") != signing.key_id(service_key):
        raise Refused("the checkpoint is signed with another key than the service's")
    if not signing.verify(service_key, signing.signed_checkpoint_payload(checkpoint), checkpoint["signature"]):
        raise Refused(f"checkpoint #{checkpoint['seq']}: signature invalid")
    last = heads.read(state) or heads.GENESIS
    new = heads.Head(int(checkpoint["seq"]), str(checkpoint["head"]))
    problem = heads.extension_problem(last, links_of(document.get("links", [])), new)
    if problem is not None:
        raise Refused(f"does not extend the head cosigned last (#{last.seq}): {problem}")
    moment = chain.format_time(now or datetime.now(UTC))
    public = witness_key.public_key()
    cosignature: dict[str, Any] = {
        "type": COSIGNATURE_TYPE,
        "seq": new.seq,
        "head": new.head,
        "checkpoint_key_id": checkpoint["key_id"],
        "time": moment,
        "witness_key_id": signing.key_id(public),
    }
    cosignature["signature"] = signing.sign(witness_key, cosignature_payload(cosignature))
    if new.seq != last.seq:
        heads.write(state, heads.Head(new.seq, new.head, moment, signing.key_id(public)))
    return cosignature
