"""The OpenAPI document in the repository is the one served, it declares exactly the forms of ID the
API reads, and the live app conforms to it: schemathesis generates requests from the served
document (schema-valid and schema-violating ones) and runs every one of its checks on the answers,
with a real key."""

from __future__ import annotations

import json

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mynatrust.lib import delegation_id as delegation_ids
from validity.api_docs import OPENAPI_PATH

# Full-width forms of the ASCII symbols, and the separators the pattern declares.
_WIDE = {chr(code): chr(code + 0xFEE0) for code in range(0x21, 0x7F)}
_SEPARATORS = ["-", " ", "\u2010", "\u2015", "\u2212", "\u3000", "\u30fc", "\uff0d", "\uff70"]


@st.composite
def typed_ids(draw: st.DrawFn) -> str:
    """A well-formed ID (its check symbol right) in any of the declared forms."""
    canonical = _from_value(draw)
    symbols = []
    for index, symbol in enumerate(delegation_ids.compact(canonical)):
        if index < delegation_ids.DATA_LENGTH:
            symbol = draw(st.sampled_from({"1": "1IiLl", "0": "0Oo"}.get(symbol, symbol)))
        elif symbol == "~":
            symbol = draw(st.sampled_from("~\uff5e\u301c"))
        symbol = symbol.lower() if draw(st.booleans()) else symbol
        symbol = _WIDE.get(symbol, symbol) if draw(st.booleans()) else symbol
        symbols.append(symbol + draw(st.sampled_from(["", "", "", *_SEPARATORS])))
    return draw(st.sampled_from(["", " ", "-"])) + "".join(symbols)


def _from_value(draw: st.DrawFn) -> str:
    data = "".join(draw(st.lists(st.sampled_from(delegation_ids.ALPHABET), min_size=13, max_size=13)))
    check = delegation_ids.check_symbol(data)
    return delegation_ids._format(data + check)


schemathesis.openapi.format("delegation-id", typed_ids())


@given(typed_ids())
@settings(max_examples=300)
def test_every_declared_form_matches_the_pattern_and_parses(typed):
    from validity.answer import parse_delegation_id

    document = json.loads(OPENAPI_PATH.read_text(encoding="utf-8"))
    schema = document["paths"]["/delegations/{delegation_id}/validity"]["get"]["parameters"][0]["schema"]
    assert schema["pattern"] == delegation_ids.DECLARED_PATTERN
    assert schema["maxLength"] == delegation_ids.MAX_INPUT
    assert len(typed) <= delegation_ids.MAX_INPUT
    assert delegation_ids._DECLARED.fullmatch(typed)
    assert parse_delegation_id(typed, declared_only=True) == delegation_ids.parse(typed)


@pytest.mark.parametrize(
    ("typed", "code", "position"),
    [
        # 39 zeros: the length the pattern refuses is a 400, as documented
        ("0" * 39, "id_bad_length", None),
        # characters the forgiving form reads but the API does not declare: a tab, a bold A, ℹ
        ("7K3Q-9XWA-2M4P-HJ\t", "id_bad_character", 18),
        ("\U0001d400K3Q-9XWA-2M4P-HJ", "id_bad_character", 1),
        ("\u2139K3Q-9XWA-2M4P-HJ", "id_bad_character", 1),
        # U in a data position
        ("7K3Q-9XUA-2M4P-HJ", "id_bad_character", 8),
    ],
)
def test_the_api_reads_only_the_declared_forms(typed, code, position):
    from validity.answer import ValidityError, parse_delegation_id

    with pytest.raises(ValidityError) as caught:
        parse_delegation_id(typed, declared_only=True)
    assert caught.value.code == code
    assert caught.value.params.get("position") == position


def test_the_served_document_is_the_one_in_the_repository(client, db):
    served = client.get("/api/v1/openapi.json").json()
    kept = json.loads(OPENAPI_PATH.read_text(encoding="utf-8"))
    assert served["openapi"] == "3.1.0"
    assert {k: v for k, v in served.items() if k != "servers"} == {k: v for k, v in kept.items() if k != "servers"}
    assert served["servers"] == [{"url": "http://testserver/api/v1"}]


@pytest.fixture
def live_key(transactional_db, live_server):
    from conftest import make_user
    from validity import services

    from .conftest import make_organisation

    user = make_user("schemathesis@recipient.example.jp", "recipient")
    _key, plaintext = services.create_api_key(make_organisation(user), label="schemathesis", actor=user)
    return plaintext


# The document as the application serves it (through its middleware), read once at collection.
served_schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


@served_schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_live_app_conforms_to_its_openapi_document(case, live_server, live_key):
    # Every built-in check, positive_data_acceptance among them: a schema-valid request is answered.
    case.call_and_validate(base_url=f"{live_server.url}/api/v1", headers={"Authorization": f"Bearer {live_key}"})


def test_the_refusal_of_a_nul_in_the_query_is_a_declared_error(client):
    """Found by the generated requests: a query parameter holding %00 is refused before any view by
    the project's middleware, whose code the document did not list."""
    document = json.loads(OPENAPI_PATH.read_text(encoding="utf-8"))
    error = document["components"]["schemas"]["Error"]["properties"]["error"]["properties"]
    response = client.get("/api/v1/delegations/7K3Q-9XWA-2M4P-HJ/validity?x=%00")
    assert response.status_code == 400
    assert response.json()["error"]["code"] in error["code"]["enum"]
