"""The hash chain of the audit log. Pure: standard library only, shared with the offline verifier.

Each sealed entry has a digest, SHA-256 over the RFC 8785 canonical JSON of the entry, and a chain
hash, SHA-256 over the previous chain hash (32 bytes) followed by the digest (32 bytes). The first
entry's previous hash is 32 zero bytes. Chaining digests rather than whole entries lets an export
leave out entries that a filter did not select (their digests stay in the chain file) while every
hash from the first exported entry up to a signed checkpoint can still be recomputed.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from audit.canonical import canonical_json

GENESIS = "0" * 64

# The fields of an entry, as hashed and exported. Changing this list is a format change.
ENTRY_FIELDS = (
    "id",
    "created_at",
    "event_type",
    "actor_kind",
    "actor_id",
    "actor_label",
    "subject_type",
    "subject_id",
    "data",
    "request_id",
    "ip",
    "user_agent",
)


def format_time(value: datetime) -> str:
    """UTC, microseconds, trailing Z: one spelling for every database and the export."""
    if value.tzinfo is None:
        raise ValueError("audit times are timezone-aware")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_digest(entry: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(entry)).hexdigest()


def chain_hash(prev_hash: str, digest: str) -> str:
    return hashlib.sha256(bytes.fromhex(prev_hash) + bytes.fromhex(digest)).hexdigest()
