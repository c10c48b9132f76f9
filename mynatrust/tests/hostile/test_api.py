"""Hostile requests to the validity API: malformed delegation IDs and digests, unknown parameters,
bad Authorization headers, methods and media types. Each answers a JSON error with a Japanese and
an English message and the right status (never 500); nothing is stored; queries and rejected keys
are audit events."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest

from mynatrust.lib import delegation_id as ids
from mynatrust.tests.hostile.helpers import japanese

pytestmark = pytest.mark.django_db

VALID = ids.generate()


def _url(typed: str) -> str:
    return f"/api/v1/delegations/{quote(typed.encode('utf-8', 'surrogatepass'), safe='')}/validity"


def _assert_json_error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    if code is not None:
        assert error["code"] == code, error
    assert japanese(error["message"]["ja"]), error
    assert error["message"]["en"] and not japanese(error["message"]["en"]), error
    assert all(ch.isprintable() for ch in error["message"]["ja"] + error["message"]["en"]), error
    return dict(error)


MALFORMED_IDS = {
    "too_short": ("7K3Q", "id_bad_length"),
    "too_long": ("7" * 15, "id_bad_length"),
    "enormous": ("7" * 5000, "id_bad_length"),
    "wrong_check_symbol": (VALID[:-1] + ("0" if VALID[-1] != "0" else "1"), "id_bad_check"),
    "check_symbol_in_the_data": ("*" + VALID[1:], None),
    # Refused before the view: no identifier holds one, and it cannot be stored in the audit log.
    "nul": (VALID[:4] + "\x00" + VALID[4:], "bad_request"),
    "escape_sequence": ("\x1b[31m" + VALID, "id_bad_character"),
    "bidi_override": ("\u202e" + VALID, "id_bad_character"),
    "byte_order_mark": ("\ufeff" + VALID, "id_bad_character"),
    "zero_width_space": (VALID[:4] + "\u200b" + VALID[4:], "id_bad_character"),
    "unpaired_surrogate": (VALID[:4] + "\udc80" + VALID[4:], "id_bad_character"),
    "sql_injection": ("' OR '1'='1' --", "id_bad_character"),
    "template_injection": ("{{7*7}}", "id_bad_character"),
    "dollar_template": ("${jndi:ldap://x}", "id_bad_character"),
    "path_traversal": ("../../etc/passwd", "id_bad_character"),
    "percent_encoded_twice": ("%252e%252e%252f", "id_bad_character"),
    "arabic_indic_digits": ("٧٣٤٥٦٧٨٩٠١٢٣٤٥", None),
    "only_separators": ("- - -", "id_empty"),
    "cyrillic_lookalikes": ("7К3Q-9ХWА-2М4Р-НV", "id_bad_character"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED_IDS))
def test_a_malformed_delegation_id_is_a_400_that_says_what_is_wrong(
    case: str, client: Any, api_key: str, snapshot: Any
) -> None:
    typed, code = MALFORMED_IDS[case]
    snapshot.take()
    response = client.get(_url(typed), HTTP_AUTHORIZATION=f"Bearer {api_key}")
    assert response.status_code in (400, 404), response.status_code
    if response.status_code == 400:
        error = _assert_json_error(response, 400, code)
        if error["code"].startswith("id_"):
            assert snapshot.new_events()["validity.query"] == 1  # every query is recorded, malformed ones too
    snapshot.assert_nothing_stored()


@pytest.mark.parametrize(
    "typed",
    [
        VALID.lower(),
        ids.compact(VALID),
        VALID.translate(
            str.maketrans(
                "0123456789ABCDEFGHJKMNPQRSTVWXYZ-",
                "０１２３４５６７８９ＡＢＣＤＥＦＧＨＪＫＭＮＰＱＲＳＴＶＷＸＹＺー",
            )
        ),
    ],
    ids=["lower_case", "without_hyphens", "full_width"],
)
def test_a_forgiving_spelling_of_an_unknown_id_answers_unknown(typed: str, client: Any, api_key: str) -> None:
    response = client.get(_url(typed), HTTP_AUTHORIZATION=f"Bearer {api_key}")
    assert response.status_code == 200
    assert response.json()["status"] == "unknown" and response.json()["delegation_id"] == VALID


MALFORMED_DIGESTS = {
    "too_short": "ab" * 31,
    "too_long": "ab" * 33,
    "not_hex": "g" * 64,
    "full_width_hex": "ａｂ" * 32,
    "with_spaces": " " + "ab" * 32,
    "nul": "ab" * 31 + "\x00b",
    "sql_injection": "' OR 1=1--",
    "template_injection": "{{7*7}}",
    "empty": "",
    "enormous": "a" * 100_000,
    "base64_instead_of_hex": "q80=" * 11,
}


@pytest.mark.parametrize("case", sorted(MALFORMED_DIGESTS))
def test_a_malformed_sha256_is_a_400(case: str, client: Any, api_key: str, snapshot: Any) -> None:
    snapshot.take()
    response = client.get(_url(VALID), {"sha256": MALFORMED_DIGESTS[case]}, HTTP_AUTHORIZATION=f"Bearer {api_key}")
    # A NUL anywhere in the query string is refused before the view reads the parameter.
    _assert_json_error(response, 400, "bad_request" if case == "nul" else "bad_sha256")
    snapshot.assert_nothing_stored()


@pytest.mark.parametrize(
    "query",
    ["sha265=" + "ab" * 32, "SHA256=" + "ab" * 32, "sha256=" + "ab" * 32 + "&debug=1", "q=%00", "format=xml"],
    ids=["misspelt", "upper_case_name", "extra_parameter", "nul_parameter", "format"],
)
def test_an_unknown_parameter_is_a_400_not_a_silently_skipped_comparison(
    query: str, client: Any, api_key: str, snapshot: Any
) -> None:
    snapshot.take()
    response = client.get(f"{_url(VALID)}?{query}", HTTP_AUTHORIZATION=f"Bearer {api_key}")
    _assert_json_error(response, 400)
    snapshot.assert_nothing_stored()


BAD_AUTHORIZATION = {
    "scheme_only": "Bearer",
    "scheme_and_space": "Bearer ",
    "basic": "Basic dXNlcjpwYXNzd29yZA==",
    "token_scheme": "Token {key}",
    "key_twice": "Bearer {key} {key}",
    "key_with_trailing_junk": "Bearer {key}x",
    "key_truncated": "Bearer {key_short}",
    "nul_in_key": "Bearer {key_nul}",
    "sql_injection": "Bearer ' OR '1'='1",
    "latin1_mojibake": "Bearer \u00e9\u0085\u008d",
    "enormous": "Bearer " + "A" * 20_000,
    "jwt_none_alg": "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",
    "newline_injection": "Bearer {key}\r\nX-Injected: 1",
}


@pytest.mark.parametrize("case", sorted(BAD_AUTHORIZATION))
def test_a_bad_authorization_header_is_a_401_with_the_scheme_named(
    case: str, client: Any, api_key: str, snapshot: Any
) -> None:
    header = BAD_AUTHORIZATION[case].format(
        key=api_key, key_short=api_key[:-4], key_nul=api_key[:8] + "\x00" + api_key[8:]
    )
    snapshot.take()
    response = client.get(_url(VALID), HTTP_AUTHORIZATION=header)
    _assert_json_error(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")
    snapshot.assert_nothing_stored()
    assert snapshot.new_events()["validity.query"] == 0


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"])
def test_another_method_is_a_405_in_json(method: str, client: Any, api_key: str, snapshot: Any) -> None:
    snapshot.take()
    response = client.generic(
        method, _url(VALID), b"{}", content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {api_key}"
    )
    _assert_json_error(response, 405)
    snapshot.assert_nothing_stored()


@pytest.mark.parametrize("accept", ["text/csv", "application/xml", "image/png;q=1, application/json;q=0"])
def test_an_unacceptable_media_type_is_a_406_in_json(accept: str, client: Any, api_key: str, snapshot: Any) -> None:
    snapshot.take()
    response = client.get(_url(VALID), HTTP_AUTHORIZATION=f"Bearer {api_key}", HTTP_ACCEPT=accept)
    _assert_json_error(response, 406)
    snapshot.assert_nothing_stored()
