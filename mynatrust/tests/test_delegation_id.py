import re

import pytest
from django.utils import translation
from hypothesis import assume, given
from hypothesis import strategies as st

from mynatrust.lib import delegation_id
from mynatrust.lib.delegation_id import CHECK_ALPHABET, DelegationIdError

ZEROS = "0000-0000-0000-00"
KNOWN = "7K3Q-9XWA-2M4P-H" + delegation_id.check_symbol("7K3Q9XWA2M4PH")

TILDE = next(i for i in (delegation_id._encode(n) for n in range(100)) if i.endswith("~"))

canonical_ids = st.integers(min_value=0, max_value=2**65 - 1).map(delegation_id._encode)


def test_a_generated_id_has_thirteen_symbols_a_check_symbol_and_groups_of_four():
    generated = delegation_id.generate()
    assert re.fullmatch(
        r"[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z][0-9A-HJKMNP-TV-Z*~$=U]",
        generated,
    )
    assert delegation_id.parse(generated) == generated


def test_generated_ids_do_not_repeat():
    assert len({delegation_id.generate() for _ in range(2000)}) == 2000


@pytest.mark.parametrize(
    ("data", "check"),
    [
        # value 0
        ("0000000000000", "0"),
        # value 36: the last check-only symbol
        ("0000000000014", "U"),
        # value 32 → 32 mod 37 = 32, the first check-only symbol
        ("0000000000010", "*"),
        # the largest 65-bit value, 2**65 - 1
        ("ZZZZZZZZZZZZZ", CHECK_ALPHABET[(2**65 - 1) % 37]),
    ],
)
def test_the_check_symbol_is_the_value_modulo_37(data, check):
    assert delegation_id.check_symbol(data) == check


@pytest.mark.parametrize(
    "typed",
    [
        # canonical
        KNOWN,
        # lower case
        KNOWN.lower(),
        # no hyphens
        KNOWN.replace("-", ""),
        # hyphens and spaces in other places, surrounding white space
        "  " + KNOWN.replace("-", "")[:7] + " - " + KNOWN.replace("-", "")[7:] + "\n",
        # full-width characters from a Japanese input method, with a long-vowel mark as hyphen
        "７Ｋ３Ｑー９ＸＷＡ－２Ｍ４Ｐ－" + KNOWN[-2:],
    ],
)
def test_it_accepts_forgiving_input(typed):
    assert delegation_id.parse(typed) == KNOWN


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        # O is read as 0, I and L as 1 (Crockford's aliases), in either case
        ("OOOO-OOOO-OOOO-OO", ZEROS),
        ("oooo-0000-oooo-00", ZEROS),
        (
            "0000-0000-0000-I" + delegation_id.check_symbol("0000000000001"),
            "0000-0000-0000-1" + delegation_id.check_symbol("0000000000001"),
        ),
        (
            "0000-0000-0000-l" + delegation_id.check_symbol("0000000000001"),
            "0000-0000-0000-1" + delegation_id.check_symbol("0000000000001"),
        ),
        # a Japanese input method's wave dash (〜) or full-width tilde (～) for the check symbol ~
        (TILDE.replace("~", "〜"), TILDE),
        (TILDE.replace("~", "～"), TILDE),
    ],
)
def test_it_reads_crockford_aliases(typed, canonical):
    assert delegation_id.parse(typed) == canonical


@pytest.mark.parametrize(
    ("typed", "code", "position"),
    [
        # nothing but separators
        ("", DelegationIdError.EMPTY, None),
        (" - ", DelegationIdError.EMPTY, None),
        # one symbol short
        (KNOWN[:-1], DelegationIdError.BAD_LENGTH, None),
        # one symbol too many
        (KNOWN + "0", DelegationIdError.BAD_LENGTH, None),
        # a megabyte is refused without being read
        pytest.param("A" * 1_000_000, DelegationIdError.BAD_LENGTH, None, id="a-megabyte"),
        # U is not a base32 symbol (Crockford excludes it), reported where it was typed
        ("7K3Q-9XUA-2M4P-HV", DelegationIdError.BAD_CHARACTER, 8),
        # a check-only symbol in a data position
        ("7K3Q-9X*A-2M4P-HV", DelegationIdError.BAD_CHARACTER, 8),
        # punctuation that is not a separator
        ("7K3Q.9XWA-2M4P-HV", DelegationIdError.BAD_CHARACTER, 5),
        # a kanji
        ("委K3Q-9XWA-2M4P-HV", DelegationIdError.BAD_CHARACTER, 1),
        # a character whose compatibility form is several letters (㍿ → 株式会社)
        ("7K3Q-9XWA-2M4P-H㍿", DelegationIdError.BAD_CHARACTER, 17),
    ],
)
def test_it_says_precisely_what_is_wrong(typed, code, position):
    with pytest.raises(DelegationIdError) as caught:
        delegation_id.parse(typed)
    assert caught.value.code == code
    assert caught.value.position == position
    assert not delegation_id.is_valid(typed)


def test_a_wrong_check_symbol_is_reported_as_a_typo_in_japanese():
    wrong = KNOWN[:-1] + ("0" if KNOWN[-1] != "0" else "1")
    with translation.override("ja"), pytest.raises(DelegationIdError) as caught:
        delegation_id.parse(wrong)
    assert caught.value.code == DelegationIdError.BAD_CHECK
    with translation.override("ja"):
        assert "入力の誤り" in str(caught.value)


def test_a_bad_character_message_names_the_character_and_its_position():
    with translation.override("ja"), pytest.raises(DelegationIdError) as caught:
        delegation_id.parse("7K3Q.9XWA-2M4P-HV")
    with translation.override("ja"):
        assert caught.value.message == "5 文字目の「.」は電子委任状 ID に使えない文字です。"


def test_a_bad_length_message_gives_both_lengths():
    with translation.override("ja"), pytest.raises(DelegationIdError) as caught:
        delegation_id.parse("7K3Q")
    with translation.override("ja"):
        assert "14" in caught.value.message
        assert "4" in caught.value.message


def test_compact_drops_the_hyphens():
    assert delegation_id.compact(KNOWN) == KNOWN.replace("-", "")


@pytest.mark.parametrize(
    ("canonical", "name"),
    [
        ("0000-0000-0001-0*", "0000-0000-0001-0_"),
        ("0000-0000-0001-1~", "0000-0000-0001-1_"),
        ("0000-0000-0001-2$", "0000-0000-0001-2_"),
        ("0000-0000-0001-3=", "0000-0000-0001-3_"),
        ("0000-0000-0001-4U", "0000-0000-0001-4U"),
        (KNOWN, KNOWN),
    ],
)
def test_in_a_file_name_a_symbol_check_becomes_an_underscore(canonical, name):
    assert delegation_id.is_valid(canonical)
    assert delegation_id.in_file_name(canonical) == name


@given(canonical_ids)
def test_a_file_name_form_is_letters_digits_hyphens_and_underscores(canonical):
    assert re.fullmatch(r"[0-9A-Z_-]+", delegation_id.in_file_name(canonical))


@given(canonical_ids)
def test_every_id_survives_a_round_trip_in_any_spelling(canonical):
    assert delegation_id.parse(canonical) == canonical
    assert delegation_id.parse(canonical.lower().replace("-", "")) == canonical


@given(canonical_ids, st.integers(min_value=0, max_value=13), st.sampled_from(CHECK_ALPHABET))
def test_any_single_symbol_substitution_is_detected(canonical, index, replacement):
    symbols = list(delegation_id.compact(canonical))
    assume(symbols[index] != replacement)
    symbols[index] = replacement
    with pytest.raises(DelegationIdError) as caught:
        delegation_id.parse("".join(symbols))
    assert caught.value.code in {DelegationIdError.BAD_CHECK, DelegationIdError.BAD_CHARACTER}


@given(canonical_ids, st.integers(min_value=0, max_value=12))
def test_any_swap_of_two_adjacent_different_symbols_is_detected(canonical, index):
    symbols = list(delegation_id.compact(canonical))
    if symbols[index] == symbols[index + 1]:
        return
    symbols[index], symbols[index + 1] = symbols[index + 1], symbols[index]
    assert not delegation_id.is_valid("".join(symbols))
