"""Properties of the pure parts every hostile input ends in: the delegation-ID codec, corporate
numbers, identity normalisation and the audit log's canonical JSON. Hypothesis runs derandomised
(the ``hostile`` profile of this package's conftest), so every run tries the same examples."""

from __future__ import annotations

import json
import string

import pytest
from hypothesis import assume, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from stdnum.jp import cn as stdnum_cn

from audit.canonical import canonical_json
from mynatrust.lib import delegation_id as ids
from registry import corporate_number
from registry.matching import Verdict, compare_address, compare_name, normalise_address, normalise_name

HOSTILE = hypothesis_settings.get_profile("hostile")

# --- delegation IDs ---------------------------------------------------------------------------------
values = st.integers(min_value=0, max_value=2**ids.BITS - 1)


def _id(value: int) -> str:
    return ids._encode(value)


@HOSTILE
@given(values)
def test_an_id_reads_back_as_itself(value: int) -> None:
    delegation_id = _id(value)
    assert ids.parse(delegation_id) == delegation_id
    assert ids.parse(ids.compact(delegation_id)) == delegation_id
    assert len(ids.compact(delegation_id)) == ids.LENGTH


@HOSTILE
@given(values, st.integers(min_value=0, max_value=ids.LENGTH - 1), st.sampled_from(ids.CHECK_ALPHABET))
def test_every_single_symbol_substitution_is_caught(value: int, position: int, replacement: str) -> None:
    symbols = list(ids.compact(_id(value)))
    assume(symbols[position] != replacement)
    symbols[position] = replacement
    with pytest.raises(ids.DelegationIdError) as error:
        ids.parse("".join(symbols))
    assert error.value.code in (ids.DelegationIdError.BAD_CHECK, ids.DelegationIdError.BAD_CHARACTER)


@HOSTILE
@given(values, st.integers(min_value=0, max_value=ids.DATA_LENGTH - 2))
def test_every_adjacent_transposition_of_data_symbols_is_caught(value: int, position: int) -> None:
    symbols = list(ids.compact(_id(value)))
    assume(symbols[position] != symbols[position + 1])
    symbols[position], symbols[position + 1] = symbols[position + 1], symbols[position]
    with pytest.raises(ids.DelegationIdError) as error:
        ids.parse("".join(symbols))
    assert error.value.code == ids.DelegationIdError.BAD_CHECK


def _full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


SEPARATORS = st.sampled_from(["-", "\u2010", "\u2212", "\u30fc", "\uff0d", "\uff70", " ", "\u3000", "\t", ""])


@HOSTILE
@given(values, st.lists(SEPARATORS, min_size=ids.LENGTH + 1, max_size=ids.LENGTH + 1), st.booleans(), st.booleans())
def test_lower_case_full_width_and_any_hyphens_or_spaces_read_as_the_same_id(
    value: int, separators: list[str], lower: bool, wide: bool
) -> None:
    delegation_id = _id(value)
    symbols = ids.compact(delegation_id)
    typed = separators[0] + "".join(s + sep for s, sep in zip(symbols, separators[1:], strict=True))
    typed = typed.lower() if lower else typed
    typed = _full_width(typed) if wide else typed
    assume(len(typed) <= ids.MAX_INPUT)
    assert ids.parse(typed) == delegation_id


@HOSTILE
@given(values, st.data())
def test_crockford_aliases_read_as_the_digits_they_stand_for(value: int, data: st.DataObject) -> None:
    delegation_id = _id(value)
    typed = "".join(
        data.draw(st.sampled_from("IiLl")) if c == "1" else data.draw(st.sampled_from("Oo")) if c == "0" else c
        for c in ids.compact(delegation_id)[:-1]
    )
    assert ids.parse(typed + ids.compact(delegation_id)[-1]) == delegation_id


@HOSTILE
@given(st.text(max_size=80))
def test_any_text_is_an_id_or_a_reported_error_never_a_crash(text: str) -> None:
    try:
        parsed = ids.parse(text)
    except ids.DelegationIdError as error:
        assert error.message and all(ch.isprintable() for ch in error.message)
    else:
        assert ids.parse(parsed) == parsed


# --- corporate numbers ------------------------------------------------------------------------------
bases = st.text(alphabet=string.digits, min_size=12, max_size=12)


@HOSTILE
@given(bases)
def test_a_corporate_number_reads_back_and_holds_its_registry_number(base: str) -> None:
    number = stdnum_cn.calc_check_digit(base) + base
    assert corporate_number.parse(number) == number
    assert corporate_number.company_registry_number(number) == base


@HOSTILE
@given(bases, st.lists(st.sampled_from(["", "-", "－", "ー", " ", "\u3000"]), min_size=13, max_size=13), st.booleans())
def test_full_width_digits_hyphens_and_spaces_read_as_the_same_corporate_number(
    base: str, separators: list[str], wide: bool
) -> None:
    number = stdnum_cn.calc_check_digit(base) + base
    typed = "".join(d + s for d, s in zip(number, separators, strict=True))
    assert corporate_number.parse(_full_width(typed) if wide else typed) == number


@HOSTILE
@given(bases, st.integers(min_value=0, max_value=12), st.sampled_from(string.digits))
def test_a_single_wrong_digit_is_caught_unless_it_swaps_zero_and_nine(base: str, position: int, digit: str) -> None:
    number = stdnum_cn.calc_check_digit(base) + base
    assume(number[position] != digit)
    # The check digit is a sum modulo 9: 0 and 9 weigh the same, a limit of the number itself.
    assume({number[position], digit} != {"0", "9"})
    typed = number[:position] + digit + number[position + 1 :]
    with pytest.raises(corporate_number.CorporateNumberError) as error:
        corporate_number.parse(typed)
    assert error.value.code == "checksum"


@HOSTILE
@given(st.text(max_size=40))
def test_any_text_is_a_corporate_number_or_a_coded_error(text: str) -> None:
    try:
        number = corporate_number.parse(text)
    except corporate_number.CorporateNumberError as error:
        assert error.code in ("empty", "format", "length", "checksum")
    else:
        assert len(number) == 13 and number.isascii() and number.isdigit()


# --- identity normalisation ---------------------------------------------------------------------------
KANJI = "山田太郎花子佐藤鈴木高橋田中伊藤渡辺中村小林加藤吉田山本松本井上木村林清水斎藤"
names = st.text(alphabet=KANJI + "アイウエオカキクケコガギあいうえおABCabc123", min_size=1, max_size=12)
spaces = st.sampled_from([" ", "\u3000", "\t", "  "])


@HOSTILE
@given(st.text(max_size=30))
def test_name_normalisation_is_idempotent_for_any_text(text: str) -> None:
    once = normalise_name(text)
    assert normalise_name(once) == once


@HOSTILE
@given(names, st.lists(st.tuples(st.integers(min_value=0, max_value=12), spaces), max_size=4))
def test_spaces_anywhere_do_not_change_a_name(name: str, inserts: list[tuple[int, str]]) -> None:
    spaced = name
    for position, space in inserts:
        spaced = spaced[:position] + space + spaced[position:]
    assert normalise_name(spaced) == normalise_name(name)
    assert compare_name(name, spaced).verdict == Verdict.MATCH


@HOSTILE
@given(names)
def test_full_width_letters_and_digits_do_not_change_a_name(name: str) -> None:
    assert normalise_name(_full_width(name)) == normalise_name(name)


@HOSTILE
@given(names, st.integers(min_value=0, max_value=11), st.sampled_from(KANJI))
def test_one_different_character_unflagged_is_never_a_match(name: str, position: int, replacement: str) -> None:
    assume(position < len(name) and name[position] != replacement)
    changed = name[:position] + replacement + name[position + 1 :]
    assume(normalise_name(changed) != normalise_name(name))
    assert compare_name(name, changed).verdict == Verdict.MISMATCH


@HOSTILE
@given(names, st.integers(min_value=0, max_value=11), st.sampled_from(KANJI))
def test_a_different_character_at_a_flagged_position_needs_an_operator(
    name: str, position: int, replacement: str
) -> None:
    assume(position < len(name) and name[position] != replacement)
    assume(not name[position].isascii())  # substitute characters stand for kanji and kana
    changed = name[:position] + replacement + name[position + 1 :]
    flags = "".join("1" if i == position else "0" for i in range(len(changed)))
    assert compare_name(name, changed, flags).verdict == Verdict.MATCH_WITH_SUBSTITUTES


def _kanji_number(n: int) -> str:
    digits = "〇一二三四五六七八九"
    tens, ones = divmod(n, 10)
    return ("" if tens == 0 else ("十" if tens == 1 else digits[tens] + "十")) + ("" if ones == 0 else digits[ones])


numbers = st.integers(min_value=1, max_value=99)
HYPHENS = st.sampled_from(["-", "－", "ー", "\u2212", "\u2010"])


@HOSTILE
@given(numbers, numbers, numbers, HYPHENS, st.booleans())
def test_chome_banchi_go_and_hyphenated_forms_of_an_address_are_one(
    chome: int, ban: int, go: int, hyphen: str, wide: bool
) -> None:
    town = "東京都千代田区霞が関"
    written = f"{town}{_kanji_number(chome)}丁目{ban}番{go}号"
    short = f"{town}{chome}{hyphen}{ban}{hyphen}{go}"
    short = _full_width(short) if wide else short
    assert normalise_address(written) == normalise_address(short)
    assert compare_address(written, short).verdict == Verdict.MATCH


@HOSTILE
@given(numbers, numbers, numbers)
def test_a_different_house_number_is_never_the_same_address(chome: int, ban: int, go: int) -> None:
    town = "大阪府大阪市北区中之島"
    assert compare_address(f"{town}{chome}-{ban}-{go}", f"{town}{chome}-{ban}-{go + 1}").verdict == Verdict.MISMATCH


@HOSTILE
@given(st.text(max_size=40))
def test_address_normalisation_never_fails_on_any_text(text: str) -> None:
    assert isinstance(normalise_address(text), str)


# --- the audit log's canonical JSON ------------------------------------------------------------------
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
documents = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


def _numbers_as_floats(value: object) -> object:
    # JSON has one number type: 6.7e16 is written as the integer 67429882008685990 (RFC 8785 follows
    # ECMAScript), which reads back as an int of the same double value.
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, list):
        return [_numbers_as_floats(v) for v in value]
    assert isinstance(value, dict)
    return {k: _numbers_as_floats(v) for k, v in value.items()}


@HOSTILE
@given(documents)
def test_canonical_json_reads_back_as_the_same_value(value: object) -> None:
    encoded = canonical_json(value)
    assert _numbers_as_floats(json.loads(encoded.decode("utf-8"))) == _numbers_as_floats(value)
    assert canonical_json(json.loads(encoded)) == encoded


@HOSTILE
@given(st.dictionaries(st.text(max_size=8), scalars, max_size=8), st.randoms(use_true_random=False))
def test_canonical_json_does_not_depend_on_key_order(value: dict[str, object], random: object) -> None:
    items = list(value.items())
    random.shuffle(items)  # type: ignore[attr-defined]
    assert canonical_json(dict(items)) == canonical_json(value)


@HOSTILE
@given(documents)
def test_canonical_json_is_deterministic_and_compact(value: object) -> None:
    encoded = canonical_json(value)
    assert encoded == canonical_json(value)
    # No insignificant white space: every space or line break is inside a string.
    assert b"\n" not in encoded and b": " not in canonical_json({"k": 1, "l": [1, 2]})


@HOSTILE
@given(st.dictionaries(st.text(min_size=1, max_size=6), st.integers(), min_size=2, max_size=6))
def test_canonical_json_sorts_keys_by_utf16_code_units(value: dict[str, int]) -> None:
    keys = list(json.loads(canonical_json(value)))
    assert keys == sorted(value, key=lambda k: k.encode("utf-16-be"))


@HOSTILE
@given(st.text(alphabet=st.characters(min_codepoint=0x80, exclude_categories=["Cs"]), min_size=1, max_size=20))
def test_canonical_json_keeps_non_ascii_text_as_utf8(text: str) -> None:
    encoded = canonical_json({"name": text})
    escaped = json.dumps(text, ensure_ascii=False)  # only quotes, backslashes and controls are escaped
    assert encoded == b'{"name":' + escaped.encode("utf-8") + b"}"
    assert json.loads(encoded)["name"] == text


_plain = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=20))
_any = st.one_of(_plain, st.floats(allow_nan=False), st.dates(), st.decimals(allow_nan=False, allow_infinity=False))


@HOSTILE
@given(st.dictionaries(st.text(max_size=8), st.one_of(_any, st.lists(_plain, max_size=3)), max_size=6))
def test_an_events_data_is_stored_as_json_reads_it_back(value: dict[str, object]) -> None:
    """The recorder's shortcut for flat text, integers, booleans and nulls gives what the JSON round
    trip (DjangoJSONEncoder, NUL as U+FFFD) gives for every data."""
    import json

    from django.core.serializers.json import DjangoJSONEncoder

    from audit.rows import _json_data, _without_nul

    expected = _without_nul(json.loads(json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)))
    got = _json_data(value)
    assert got == expected
    assert json.dumps(got, sort_keys=True) == json.dumps(expected, sort_keys=True)  # True stays true, 1 stays 1
