"""RFC 8785 canonical JSON and the chain arithmetic, without a database."""

from __future__ import annotations

import pytest

from audit import chain
from audit.canonical import canonical_json


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # Keys sorted, no whitespace.
        ({"b": 1, "a": [True, None, False]}, '{"a":[true,null,false],"b":1}'),
        # Integers stay integers; a float with an integral value loses its ".0".
        (1.0, "1"),
        (-0.0, "0"),
        # ECMAScript's shortest round-trip digits, plain notation between 1e-7 and 1e21.
        (0.1, "0.1"),
        (1e-6, "0.000001"),
        (1e-7, "1e-7"),
        (1e20, "100000000000000000000"),
        (1e21, "1e+21"),
        (123456789012345680000.0, "123456789012345680000"),
        (5e-324, "5e-324"),
        # Only the characters JSON requires are escaped; control characters in lower-case \\u form.
        ('"\\\b\f\n\r\t\x01é日本', '"\\"\\\\\\b\\f\\n\\r\\t\\u0001é日本"'),
        # Keys compare by UTF-16 code units: U+1F600 (a surrogate pair, D83D) sorts before U+FB33.
        ({"\ufb33": 2, "\U0001f600": 1}, '{"\U0001f600":1,"\ufb33":2}'),
    ],
)
def test_it_serialises_like_rfc_8785(value, expected):
    assert canonical_json(value) == expected.encode()


@pytest.mark.parametrize("value", [float("nan"), float("inf"), {1: "non-string key"}, object()])
def test_it_refuses_what_json_cannot_say(value):
    with pytest.raises((ValueError, TypeError)):
        canonical_json(value)


def test_a_chain_hash_covers_the_previous_hash_and_the_digest():
    digest = chain.entry_digest({"id": 1})
    first = chain.chain_hash(chain.GENESIS, digest)
    assert first != chain.chain_hash("1" * 64, digest)
    assert first != chain.chain_hash(chain.GENESIS, chain.entry_digest({"id": 2}))
    assert len(first) == 64


@pytest.mark.parametrize(
    "data",
    [
        {"note": "日本語の説明", "n": 3},  # non-ASCII, no floats: the fast path
        {"\U0001f600": 1, "\ufb33": 2},  # a key beyond U+FFFF: must fall back to UTF-16 ordering
        {"ratio": 0.5, "big": 1e21},  # floats: ECMAScript number formatting
        {"n": 10**20, "nested": [{"b": None, "a": True}]},
    ],
)
def test_the_fast_digest_equals_the_reference_canonical_form(data):
    import hashlib
    import json

    parsed, float_free = chain.load_json(json.dumps({"id": 1, "data": data}))
    assert chain.entry_digest(parsed, float_free=float_free) == hashlib.sha256(canonical_json(parsed)).hexdigest()
