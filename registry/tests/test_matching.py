"""registry.matching: pure, no database. Each row is one real-looking pair."""

from __future__ import annotations

import pytest

from registry.matching import (
    Verdict,
    compare_address,
    compare_name,
    kanji_to_int,
    match_identity,
    normalise_address,
    normalise_name,
)

M, S, X = Verdict.MATCH, Verdict.MATCH_WITH_SUBSTITUTES, Verdict.MISMATCH


@pytest.mark.parametrize(
    ("registered", "certificate", "flags", "verdict"),
    [
        ("山田 太郎", "山田　太郎", "", M),  # ASCII space vs the ideographic space JPKI uses
        ("山田太郎", "山田　太郎", "", M),  # no space at all in the registry
        ("山田  太郎 ", "山田　太郎", "", M),  # doubled and trailing spaces
        ("ﾔﾏﾀﾞ ﾀﾛｳ", "ヤマダ　タロウ", "", M),  # half-width katakana with separate voiced marks
        ("ＪＯＨＮ　ＳＭＩＴＨ", "JOHN SMITH", "", M),  # full-width Latin letters
        ("渡辺 一郎", "渡辺　一郎", "00000", M),  # flags present, nothing flagged, nothing different
        ("髙橋 一郎", "高橋　一郎", "10000", S),  # 旧字体 in the registry, substitute flagged in the certificate
        ("渡邊 花子", "渡辺　花子", "01000", S),  # 邊 → 辺 flagged
        ("吉﨑 次郎", "吉崎　次郎", "01000", S),  # 﨑 (IBM extension) flagged
        ("髙橋 一郎", "高橋　一郎", "", X),  # the same variant, NOT flagged: never accepted silently
        ("髙橋 一郎", "高橋　一朗", "10000", X),  # one flagged difference, one real one
        ("山田 太郎", "山田　次郎", "", X),  # a genuinely different person
        ("山田 太郎", "山田　太郎　", "", M),  # trailing ideographic space
        ("山田 太郎", "山本　太郎", "00000", X),  # difference at an unflagged position
        ("山田 太郎", "山田", "", X),  # given name missing
        ("カーター ジョン", "カーター　ジョン", "", M),  # the long-vowel mark is not a hyphen in names
        ("ｶｰﾀｰ ｼﾞｮﾝ", "カーター　ジョン", "", M),  # ... half-width too
    ],
)
def test_names(registered, certificate, flags, verdict):
    assert compare_name(registered, certificate, flags).verdict == verdict


@pytest.mark.parametrize(
    ("registered", "certificate", "flags", "verdict"),
    [
        # kanji numerals vs arabic, 丁目/番地/号 vs hyphens, full vs half width
        ("東京都千代田区霞が関一丁目2番3号", "東京都千代田区霞が関1-2-3", "", M),
        ("東京都千代田区霞が関一丁目二番三号", "東京都千代田区霞が関１－２－３", "", M),
        ("東京都千代田区霞が関1丁目2番地3", "東京都千代田区霞が関一丁目２番地の３", "", M),
        ("東京都世田谷区太子堂四丁目5番6号", "東京都世田谷区太子堂４丁目５番６号", "", M),
        (
            "大阪府大阪市北区梅田1-2-3 梅田ビル10階",
            "大阪府大阪市北区梅田１ー２ー３　梅田ビル１０階",
            "",
            M,
        ),  # chōon as hyphen
        ("大阪府大阪市北区梅田1‐2‐3", "大阪府大阪市北区梅田1−2−3", "", M),  # hyphen vs minus sign
        (
            "北海道札幌市中央区北一条西二丁目1番地",
            "北海道札幌市中央区北一条西2-1",
            "",
            M,
        ),  # 北一条 stays, 二丁目 converts
        ("東京都港区六本木六丁目10番1号", "東京都港区六本木6-10-1", "", M),  # 六本木 is a place name
        ("北海道札幌市中央区北一条西二丁目1番地", "北海道札幌市中央区北1条西2丁目1番地", "", M),  # numbered 条 streets
        ("北海道旭川市東四線七号", "北海道旭川市東4線7号", "", M),  # 線 and 号 of Hokkaido grid addresses
        ("北海道札幌市中央区北一条西二丁目1番地", "北海道札幌市中央区北2条西2丁目1番地", "", X),  # another street
        ("三重県四日市市諏訪町一番五号", "三重県四日市市諏訪町1-5", "", M),  # 四日市 is a place name
        ("東京都八王子市元本郷町三丁目24番1号", "東京都八王子市元本郷町3-24-1", "", M),
        ("岩手県九戸郡軽米町大字軽米第十地割二十番地", "岩手県九戸郡軽米町大字軽米第10地割20番地", "", M),  # 地割
        (
            "京都府京都市中京区寺町通御池上る上本能寺前町488番地",
            "京都府京都市中京区寺町通御池上る上本能寺前町４８８",
            "",
            M,
        ),
        ("東京都新宿区西新宿二丁目8番1号", "東京都新宿区西新宿2-8-2", "", X),  # a different building number
        ("東京都新宿区西新宿二丁目8番1号", "東京都新宿区西新宿2-8", "", X),  # number missing
        ("東京都新宿区西新宿二丁目8番1号", "東京都渋谷区西新宿2-8-1", "", X),  # different ward
        ("東京都葛飾区青戸1-2-3", "東京都葛飾区青戸1-2-3", "", M),
        (
            "東京都葛󠄀飾区青戸1-2-3",
            "東京都葛飾区青戸1-2-3",
            "",
            M,
        ),  # an ideographic variation selector only picks a glyph
        ("東京都千代田区麴町1-2-3", "東京都千代田区麹町1-2-3", "00000001", S),  # 麴 → 麹 flagged as a substitute
        ("東京都千代田区麴町1-2-3", "東京都千代田区麹町1-2-3", "", X),  # ... and not flagged
        ("福島県双葉郡大熊町大字夫沢字北原22番地", "福島県双葉郡大熊町大字夫沢字北原22", "", M),
        ("愛知県名古屋市中区三の丸三丁目1番2号", "愛知県名古屋市中区三の丸3-1-2", "", M),  # 三の丸 is a place name
    ],
)
def test_addresses(registered, certificate, flags, verdict):
    assert compare_address(registered, certificate, flags).verdict == verdict


@pytest.mark.parametrize(
    ("text", "normalised"),
    [
        ("東京都千代田区霞が関一丁目二番三号", "東京都千代田区霞が関1-2-3"),
        ("一丁目２番地の３", "1-2-3"),
        ("百二番地", "102"),
        ("第十地割二十番地", "第10-20"),
        ("ABCビル ２Ｆ", "ABCビル2F"),
        ("1丁目", "1"),
    ],
)
def test_address_normaliser_table(text, normalised):
    assert normalise_address(text) == normalised


@pytest.mark.parametrize(
    ("kanji", "number"),
    [
        ("一", 1),
        ("十", 10),
        ("十二", 12),
        ("二十", 20),
        ("二十三", 23),
        ("百", 100),
        ("百五", 105),
        ("千二百三十四", 1234),
        ("一〇五", 105),
        ("二〇二六", 2026),
    ],
)
def test_kanji_numerals(kanji, number):
    assert kanji_to_int(kanji) == number


def test_it_shows_the_differing_parts_of_a_mismatch():
    result = match_identity(
        expected_name="山田 太郎",
        certificate_name="山田　次郎",
        expected_address="東京都新宿区西新宿二丁目8番1号",
        certificate_address="東京都新宿区西新宿2-8-2",
    )
    assert result.verdict == X
    parts = [(f, d.expected, d.actual) for f, d in result.differences]
    assert ("name", "太", "次") in parts
    assert ("address", "1", "2") in parts


def test_an_unflagged_known_variant_is_a_mismatch_with_a_hint():
    result = compare_name("髙橋 一郎", "高橋　一郎")
    assert result.verdict == X
    assert result.differences[0].variant_hint is True


def test_a_substitute_match_needs_every_difference_flagged_in_both_fields():
    result = match_identity(
        expected_name="髙橋 一郎",
        certificate_name="高橋　一郎",
        certificate_name_flags="10000",
        expected_address="東京都千代田区霞が関一丁目2番3号",
        certificate_address="東京都千代田区霞が関1-2-3",
    )
    assert result.verdict == S
    assert result.as_dict()["verdict"] == "match_with_substitutes"


def test_an_address_that_differs_makes_the_whole_identity_a_mismatch():
    result = match_identity(
        expected_name="山田 太郎",
        certificate_name="山田　太郎",
        expected_address="東京都港区芝公園1-2-3",
        certificate_address="東京都港区芝公園1-2-4",
    )
    assert result.verdict == X
    assert [f.verdict for f in result.fields] == [M, X]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"expected_name": "", "certificate_name": "山田　太郎"},  # nothing recorded
        {"expected_name": "山田 太郎", "certificate_name": "  "},  # nothing in the certificate
        {"expected_name": "山田 太郎", "certificate_name": "山田　太郎", "expected_address": "東京都港区芝公園1-2-3"},
    ],
)
def test_empty_values_never_match(kwargs):
    assert match_identity(**kwargs).verdict == X


def test_the_agent_check_compares_names_only():
    assert match_identity(expected_name="鈴木 一郎", certificate_name="鈴木　一郎").verdict == M


def test_short_flag_strings_only_make_the_answer_stricter():
    assert compare_name("髙橋 一郎", "高橋　一郎", "").verdict == X
    assert compare_name("山田 太郎", "山田　太郎", "1").verdict == M


def test_name_normalisation_keeps_the_long_vowel_mark():
    assert normalise_name("ｶｰﾀｰ") == "カーター"
