"""The API key format (pure) and the lookup seam the delegations app fills in."""

from __future__ import annotations

import dataclasses
import inspect

import pytest

from validity import keys, lookup
from validity.answer import DelegationFacts


def test_a_new_key_is_a_public_prefix_and_a_256_bit_secret_stored_only_as_its_digest():
    new = keys.generate()
    parts = keys.split(new.plaintext)
    assert parts is not None
    prefix, secret = parts
    assert prefix == new.prefix
    assert len(secret) == 64
    assert keys.secret_matches(secret, new.secret_sha256)
    assert not keys.secret_matches(secret[:-1] + ("0" if secret[-1] != "0" else "1"), new.secret_sha256)
    assert keys.generate().prefix != new.prefix


@pytest.mark.parametrize(
    ("header", "found"),
    [
        # the documented scheme, any case, extra spaces
        ("Bearer {key}", True),
        ("bearer {key}", True),
        ("Bearer   {key}  ", True),
        # no scheme, another scheme, a truncated or decorated key
        ("{key}", False),
        ("Token {key}", False),
        ("Bearer {key}x", False),
        ("Bearer {short}", False),
        ("Bearer", False),
        ("", False),
    ],
)
def test_the_authorization_header_is_read_strictly(header, found):
    new = keys.generate()
    value = header.format(key=new.plaintext, short=new.plaintext[:-1])
    assert (keys.from_authorization(value) is not None) is found


@pytest.mark.django_db
def test_the_seam_finds_nothing_for_an_id_never_activated():
    assert lookup.find_delegation("7K3Q-9XWA-2M4P-HJ") is None


def test_the_seam_contract_is_what_the_delegations_issue_relies_on():
    assert list(inspect.signature(lookup.find_delegation).parameters) == ["delegation_id"]
    assert [f.name for f in dataclasses.fields(DelegationFacts)] == [
        "delegation_id",
        "valid_from",
        "valid_until",
        "revoked_at",
        "superseded_by",
        "superseded_at",
        "principal_name",
        "principal_corporate_number",
        "agent_name",
        "agent_title",
        "powers",
        "limitations",
        "signed_file_sha256",
    ]


def test_the_delegations_apps_stored_facts_fit_the_seam_field_for_field():
    # delegations.queries.validity_facts() is what find_delegation() will return, converted.
    from delegations.queries import StoredDelegation

    assert [(f.name, str(f.type)) for f in dataclasses.fields(StoredDelegation)] == [
        (f.name, str(f.type)) for f in dataclasses.fields(DelegationFacts)
    ]
