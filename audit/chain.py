"""The hash chain of the audit log. Pure: standard library only, shared with the offline verifier.

Each sealed entry has a digest, SHA-256 over the RFC 8785 canonical JSON of the entry, and a chain
hash, SHA-256 over the previous chain hash (32 bytes) followed by the digest (32 bytes). The first
entry's previous hash is 32 zero bytes. Chaining digests rather than whole entries lets an export
leave out entries that a filter did not select (their digests stay in the chain file) while every
hash from the first exported entry up to a signed checkpoint can still be recomputed.
"""

from __future__ import annotations

import hashlib
import json
import re
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
    if value.utcoffset():
        value = value.astimezone(UTC)
    return f"{value.year:04d}-{value.month:02d}-{value.day:02d}T{value.hour:02d}:{value.minute:02d}:{value.second:02d}.{value.microsecond:06d}Z"


# Without floats, and without characters beyond U+FFFF (which sort differently in UTF-16), the
# C-accelerated json.dumps with sorted keys writes exactly RFC 8785: it is the fast path.
_dumps = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False).encode
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


class _FloatSeen(Exception):
    pass


def _refuse_float(text: str) -> float:
    raise _FloatSeen


_float_free_decoder = json.JSONDecoder(parse_float=_refuse_float)
_decoder = json.JSONDecoder()


def load_json(text: str) -> tuple[Any, bool]:
    """Parse JSON text; also say whether it is free of floats (so the fast path applies)."""
    try:
        return _float_free_decoder.decode(text), True
    except _FloatSeen:
        return _decoder.decode(text), False


def canonical_text(value: Any, *, float_free: bool = False) -> str:
    if float_free:
        out = _dumps(value)
        if out.isascii() or not _ASTRAL.search(out):
            return out
    return canonical_json(value).decode("utf-8")


def entry_digest(entry: dict[str, Any], *, float_free: bool = False) -> str:
    """SHA-256 of the entry's canonical JSON. ``float_free``: the caller knows ``entry`` holds no
    float (see ``load_json``), so the fast path may be tried."""
    if float_free:
        data = _dumps(entry).encode("utf-8")
        if max(data) < 0xF0:  # no 4-byte UTF-8 sequence, so no character beyond U+FFFF
            return hashlib.sha256(data).hexdigest()
    return hashlib.sha256(canonical_json(entry)).hexdigest()


def chain_hash(prev_hash: str, digest: str) -> str:
    return hashlib.sha256(bytes.fromhex(prev_hash) + bytes.fromhex(digest)).hexdigest()
