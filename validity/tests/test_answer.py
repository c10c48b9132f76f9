"""The pure answer: every status at the right instant in Japan time, the document, the errors."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from mynatrust.lib import delegation_id as ids
from validity.answer import (
    JST,
    DelegationFacts,
    Status,
    ValidityError,
    build_answer,
    encode,
    parse_delegation_id,
    parse_sha256,
    status_at,
)

DIGEST = hashlib.sha256(b"signed file").hexdigest()
ID = "7K3Q-9XWA-2M4P-HJ"


def facts(**changes) -> DelegationFacts:
    base = DelegationFacts(
        delegation_id=ID,
        valid_from=date(2026, 4, 1),
        valid_until=date(2027, 3, 31),
        principal_name="株式会社サンプル",
        principal_corporate_number="7000012050002",
        agent_name="代理 一郎",
        agent_title="経理部長",
        powers="入札及び見積に関する一切の件",
        limitations="一件五百万円以下",
        signed_file_sha256=DIGEST,
    )
    return replace(base, **changes)


def jst(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, micro: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=JST)


ONE_US = timedelta(microseconds=1)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        # the last microsecond before the first day begins in Japan
        (jst(2026, 4, 1) - ONE_US, Status.NOT_YET_VALID),
        # the first day, from its first instant in Japan (still 31 March in UTC)
        (jst(2026, 4, 1), Status.VALID),
        (datetime(2026, 3, 31, 15, 0, tzinfo=UTC), Status.VALID),
        (datetime(2026, 3, 31, 14, 59, 59, 999999, tzinfo=UTC), Status.NOT_YET_VALID),
        # a day in the middle
        (jst(2026, 10, 1, 12), Status.VALID),
        # the last day is included, up to its last microsecond in Japan
        (jst(2027, 3, 31, 23, 59, 59, 999999), Status.VALID),
        # the day after the last day: expired, though UTC still says 31 March
        (jst(2027, 4, 1), Status.EXPIRED),
        (datetime(2027, 3, 31, 15, 0, tzinfo=UTC), Status.EXPIRED),
        (jst(2030, 1, 1), Status.EXPIRED),
    ],
)
def test_the_period_is_inclusive_calendar_days_in_japan(moment, expected):
    assert status_at(facts(), moment) is expected


def test_a_one_day_delegation_is_valid_for_exactly_that_day_in_japan():
    one_day = facts(valid_from=date(2026, 12, 31), valid_until=date(2026, 12, 31))
    assert status_at(one_day, jst(2026, 12, 30, 23, 59, 59)) is Status.NOT_YET_VALID
    assert status_at(one_day, jst(2026, 12, 31)) is Status.VALID
    assert status_at(one_day, jst(2026, 12, 31, 23, 59, 59)) is Status.VALID
    assert status_at(one_day, jst(2027, 1, 1)) is Status.EXPIRED


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        # one microsecond before the revocation the delegation still stands
        (jst(2026, 6, 1, 10) - ONE_US, Status.VALID),
        # revoked from the recorded instant on
        (jst(2026, 6, 1, 10), Status.REVOKED),
        (jst(2026, 6, 2), Status.REVOKED),
        # once revoked, it stays revoked after the period ended too (the act is final)
        (jst(2028, 1, 1), Status.REVOKED),
    ],
)
def test_revocation_takes_effect_at_its_instant(moment, expected):
    assert status_at(facts(revoked_at=jst(2026, 6, 1, 10)), moment) is expected


def test_revocation_before_the_period_began_answers_revoked():
    assert status_at(facts(revoked_at=jst(2026, 3, 1)), jst(2026, 3, 2)) is Status.REVOKED


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (jst(2026, 7, 1, 9) - ONE_US, Status.VALID),
        (jst(2026, 7, 1, 9), Status.SUPERSEDED),
        (jst(2027, 5, 1), Status.SUPERSEDED),
    ],
)
def test_an_update_supersedes_from_the_instant_the_new_delegation_became_active(moment, expected):
    updated = facts(superseded_by=ids.generate(), superseded_at=jst(2026, 7, 1, 9))
    assert status_at(updated, moment) is expected


def test_a_replacement_without_a_recorded_instant_supersedes_at_once():
    assert status_at(facts(superseded_by=ids.generate()), jst(2026, 5, 1)) is Status.SUPERSEDED


def test_revocation_is_reported_before_replacement():
    both = facts(revoked_at=jst(2026, 6, 1), superseded_by=ids.generate(), superseded_at=jst(2026, 5, 1))
    assert status_at(both, jst(2026, 6, 2)) is Status.REVOKED
    assert status_at(both, jst(2026, 5, 15)) is Status.SUPERSEDED


def test_nothing_stored_is_unknown():
    assert status_at(None, jst(2026, 5, 1)) is Status.UNKNOWN


def test_a_naive_instant_is_refused():
    with pytest.raises(ValueError, match="aware"):
        status_at(facts(), datetime(2026, 5, 1))


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)))
def test_the_status_follows_the_japanese_calendar_date_for_any_instant(moment):
    day = moment.astimezone(JST).date()
    expected = (
        Status.NOT_YET_VALID if day < date(2026, 4, 1) else Status.EXPIRED if day > date(2027, 3, 31) else Status.VALID
    )
    assert status_at(facts(), moment) is expected


# --- the clock: answers use the instant the service checked, in Japan time ------------------------


@pytest.mark.parametrize(
    ("clock", "expected"),
    [
        ("2026-03-31T23:59:59+09:00", Status.NOT_YET_VALID),
        ("2026-04-01T00:00:00+09:00", Status.VALID),
        ("2027-03-31T23:59:59+09:00", Status.VALID),
        ("2027-04-01T00:00:00+09:00", Status.EXPIRED),
    ],
)
def test_answers_built_now_carry_the_status_and_the_time_checked_in_japan(clock, expected):
    with time_machine.travel(datetime.fromisoformat(clock), tick=False):
        answer = build_answer(ID, facts(), checked_at=timezone.now(), issuer="https://svc.example.jp")
    assert answer["status"] == expected.value
    assert answer["checked_at"] == clock


# --- the document ---------------------------------------------------------------------------------


def test_a_known_delegation_is_described_in_full():
    answer = build_answer(ID, facts(), checked_at=jst(2026, 5, 1, 9, 30), issuer="https://svc.example.jp")
    assert answer == {
        "issuer": "https://svc.example.jp",
        "delegation_id": ID,
        "status": "valid",
        "checked_at": "2026-05-01T09:30:00+09:00",
        "period": {
            "valid_from": "2026-04-01",
            "valid_until": "2027-03-31",
            "time_zone": "Asia/Tokyo",
            "starts_at": "2026-04-01T00:00:00+09:00",
            "ends_before": "2027-04-01T00:00:00+09:00",
        },
        "principal": {"name": "株式会社サンプル", "corporate_number": "7000012050002"},
        "agent": {"name": "代理 一郎", "title": "経理部長"},
        "powers": "入札及び見積に関する一切の件",
        "limitations": "一件五百万円以下",
        "signed_file_sha256": DIGEST,
    }


def test_a_sole_proprietor_and_an_untitled_agent_give_nulls_not_empty_strings():
    answer = build_answer(
        ID,
        facts(principal_corporate_number="", agent_title="", limitations=""),
        checked_at=jst(2026, 5, 1),
        issuer="x",
    )
    assert answer["principal"]["corporate_number"] is None
    assert answer["agent"]["title"] is None
    assert answer["limitations"] is None


def test_the_digest_match_is_reported_both_ways_and_ignores_case():
    at = jst(2026, 5, 1)
    assert build_answer(ID, facts(), checked_at=at, issuer="x", sha256=DIGEST.upper())["digest_match"] is True
    other = hashlib.sha256(b"another file").hexdigest()
    assert build_answer(ID, facts(), checked_at=at, issuer="x", sha256=other)["digest_match"] is False
    assert "digest_match" not in build_answer(ID, facts(), checked_at=at, issuer="x")


def test_an_unknown_id_answers_unknown_and_nothing_else_even_with_a_digest():
    answer = build_answer(ID, None, checked_at=jst(2026, 5, 1), issuer="x", sha256=DIGEST)
    assert answer == {
        "issuer": "x",
        "delegation_id": ID,
        "status": "unknown",
        "checked_at": "2026-05-01T00:00:00+09:00",
    }


def test_revoked_and_superseded_answers_say_when_but_never_name_the_replacement():
    replacement = ids.generate()
    revoked = build_answer(ID, facts(revoked_at=jst(2026, 6, 1, 10)), checked_at=jst(2026, 6, 2), issuer="x")
    assert revoked["status"] == "revoked"
    assert revoked["revoked_at"] == "2026-06-01T10:00:00+09:00"
    superseded = build_answer(
        ID, facts(superseded_by=replacement, superseded_at=jst(2026, 7, 1)), checked_at=jst(2026, 7, 2), issuer="x"
    )
    assert superseded["status"] == "superseded"
    assert superseded["superseded_at"] == "2026-07-01T00:00:00+09:00"
    assert replacement not in json.dumps(superseded)


def test_the_encoding_is_compact_sorted_utf8():
    body = encode({"b": "委任", "a": 1})
    assert body == '{"a":1,"b":"委任"}'.encode()


# --- errors ---------------------------------------------------------------------------------------


def test_a_well_formed_id_in_any_accepted_spelling_becomes_canonical():
    assert parse_delegation_id(ids.compact(ID).lower()) == ID


@pytest.mark.parametrize(
    ("typed", "code", "params"),
    [
        # nothing but separators
        ("----", "id_empty", {}),
        # one symbol short
        (ids.compact(ID)[:-1], "id_bad_length", {"expected": 14, "actual": 13}),
        # a character outside Crockford's alphabet, at the position typed
        ("7K3Q-9XWA-2M4P-H!", "id_bad_character", {"position": 17}),
        # U is allowed only as the check symbol
        ("U" + ids.compact(ID)[1:], "id_bad_character", {"position": 1}),
    ],
)
def test_a_malformed_id_says_which_problem_in_both_languages(typed, code, params):
    with pytest.raises(ValidityError) as caught:
        parse_delegation_id(typed)
    err = caught.value
    assert err.code == code
    assert err.status == 400
    doc = err.document()["error"]
    assert doc["code"] == code
    assert {k: doc[k] for k in params} == params
    assert doc["message"]["ja"] and doc["message"]["en"]
    assert doc["message"]["ja"] != doc["message"]["en"]


def test_a_typo_is_reported_as_a_bad_check_character():
    compact = ids.compact(ID)
    swapped = compact[1] + compact[0] + compact[2:]
    if swapped == compact:
        swapped = ("1" if compact[0] != "1" else "2") + compact[1:]
    with pytest.raises(ValidityError) as caught:
        parse_delegation_id(swapped)
    assert caught.value.code == "id_bad_check"
    assert "typing error" in caught.value.messages["en"]


@pytest.mark.parametrize("text", ["", "abc", "g" * 64, DIGEST + "0", DIGEST[:-1]])
def test_a_digest_that_is_not_64_hex_characters_is_refused(text):
    with pytest.raises(ValidityError) as caught:
        parse_sha256(text)
    assert caught.value.code == "bad_sha256"


def test_a_digest_is_normalised_to_lower_case():
    assert parse_sha256(DIGEST.upper()) == DIGEST
    assert parse_sha256(None) is None
