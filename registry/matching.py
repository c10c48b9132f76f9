"""Identity matching (docs/architecture.md §5; rules §3.1.2, §4.1.5). Pure: plain strings in, a verdict out.

The representative's name and address recorded from the registry evidence are compared with the
basic-4 of a JPKI signing certificate. Both sides go through the same normaliser (Unicode width,
spaces, hyphen variants and, for addresses, kanji numerals and 丁目/番地/番/号 forms); every
character of the normalised text remembers which characters of the original it came from, so a
difference can be traced to the certificate's substitute-character flags (代替文字, one '0'/'1' per
character of the certificate's value).

Answers: ``match``; ``match_with_substitutes`` when every difference lies on flagged characters (an
operator must confirm); ``mismatch`` otherwise, with the differing parts. Nothing else is accepted:
known character variants (旧字体) that are not flagged stay a mismatch, with a hint for the operator.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from enum import StrEnum

import jaconv


class Verdict(StrEnum):
    MATCH = "match"
    MATCH_WITH_SUBSTITUTES = "match_with_substitutes"
    MISMATCH = "mismatch"


@dataclass(frozen=True)
class Difference:
    """One differing part: what the registry says and what the certificate says (normalised)."""

    expected: str
    actual: str
    substitute: bool  # the certificate's characters here are flagged as substitutes
    variant_hint: bool = False  # a known 旧字体/異体字 pair, unflagged: the operator may look closer

    def as_dict(self) -> dict[str, object]:
        return {
            "expected": self.expected,
            "actual": self.actual,
            "substitute": self.substitute,
            "variant_hint": self.variant_hint,
        }


@dataclass(frozen=True)
class FieldResult:
    field: str  # "name" or "address"
    verdict: Verdict
    expected: str  # normalised
    actual: str  # normalised
    differences: tuple[Difference, ...] = ()

    def as_dict(self) -> dict[str, object]:
        return {
            "field": self.field,
            "verdict": self.verdict.value,
            "expected": self.expected,
            "actual": self.actual,
            "differences": [d.as_dict() for d in self.differences],
        }


@dataclass(frozen=True)
class MatchResult:
    verdict: Verdict
    fields: tuple[FieldResult, ...] = field(default_factory=tuple)

    @property
    def differences(self) -> list[tuple[str, Difference]]:
        return [(f.field, d) for f in self.fields for d in f.differences]

    def as_dict(self) -> dict[str, object]:
        return {"verdict": self.verdict.value, "fields": [f.as_dict() for f in self.fields]}


# --- tracked text: every normalised character keeps the indexes of its source characters ---------


@dataclass
class _Tracked:
    chars: list[str]
    sources: list[frozenset[int]]

    @classmethod
    def of(cls, text: str) -> _Tracked:
        return cls(list(text), [frozenset({i}) for i in range(len(text))])

    @property
    def text(self) -> str:
        return "".join(self.chars)

    def map_chars(self, fn: Callable[[str], str]) -> _Tracked:
        chars: list[str] = []
        sources: list[frozenset[int]] = []
        for ch, src in zip(self.chars, self.sources, strict=True):
            for out in fn(ch):
                chars.append(out)
                sources.append(src)
        return _Tracked(chars, sources)

    def sub(self, pattern: re.Pattern[str], repl: Callable[[re.Match[str]], str]) -> _Tracked:
        """Regex replacement; each replacement character inherits the sources of the whole match."""
        text = self.text
        chars: list[str] = []
        sources: list[frozenset[int]] = []
        pos = 0
        for m in pattern.finditer(text):
            chars.extend(self.chars[pos : m.start()])
            sources.extend(self.sources[pos : m.start()])
            span = frozenset().union(*self.sources[m.start() : m.end()]) if m.end() > m.start() else frozenset()
            for out in repl(m):
                chars.append(out)
                sources.append(span)
            pos = m.end()
        chars.extend(self.chars[pos:])
        sources.extend(self.sources[pos:])
        return _Tracked(chars, sources)


# --- character-level normalisation (names and addresses) ---------------------------------------

# Hyphens, dashes and minus signs people and registries use interchangeably in addresses and numbers.
HYPHENS = "\u002d\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2043\ufe58\ufe63\uff0d\u30fc\uff70\u2500\u2501\u02d7"
_HYPHEN_CLASS = re.escape(HYPHENS)
_COMBINING_MARKS = {"\u3099", "\u309a"}


def _width(ch: str) -> str:
    # jaconv handles the Japanese-specific width conversions (half-width katakana to full width,
    # full-width ASCII to half width); NFKC then folds the remaining compatibility forms (①, ㈱, ｶﾞ).
    ch = jaconv.h2z(ch, kana=True, ascii=False, digit=False)
    ch = jaconv.z2h(ch, kana=False, ascii=True, digit=True)
    return unicodedata.normalize("NFKC", ch)


def _compose_marks(t: _Tracked) -> _Tracked:
    """Join a separated (han-kaku) voiced sound mark with the kana before it: ｶﾞ → ガ."""
    chars: list[str] = []
    sources: list[frozenset[int]] = []
    for ch, src in zip(t.chars, t.sources, strict=True):
        if ch in _COMBINING_MARKS and chars:
            composed = unicodedata.normalize("NFC", chars[-1] + ch)
            if len(composed) == 1:
                chars[-1] = composed
                sources[-1] = sources[-1] | src
                continue
        chars.append(ch)
        sources.append(src)
    return _Tracked(chars, sources)


def _basic(text: str) -> _Tracked:
    t = _Tracked.of(text).map_chars(_width)
    t = _compose_marks(t)
    # Variation selectors (IVS/SVS) only choose a glyph of the same character.
    t = t.map_chars(lambda ch: "" if "\ufe00" <= ch <= "\ufe0f" or "\U000e0100" <= ch <= "\U000e01ef" else ch)
    # No whitespace is meaningful: 「山田 太郎」「山田　太郎」「山田太郎」 are the same name.
    return t.map_chars(lambda ch: "" if ch.isspace() else ch)


def normalise_name(text: str) -> str:
    return _basic(text).text


# --- addresses: a table of rules, applied in order -------------------------------------------

_KANJI_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_KANJI_UNITS = {"十": 10, "百": 100, "千": 1000}
_KANJI_NUMBER = "[〇零一二三四五六七八九十百千]+"


def kanji_to_int(text: str) -> int:
    """二十三 → 23, 百五 → 105, 一〇五 → 105 (positional), 千二百 → 1200."""
    if all(ch in _KANJI_DIGITS for ch in text):
        return int("".join(str(_KANJI_DIGITS[ch]) for ch in text))
    total, digit = 0, 0
    for ch in text:
        if ch in _KANJI_DIGITS:
            digit = _KANJI_DIGITS[ch]
        else:
            total += (digit or 1) * _KANJI_UNITS[ch]
            digit = 0
    return total + digit


# Address-number markers: kanji numerals are converted only before them, so place names such as
# 四日市市, 八王子市, 九段南, 六本木 or 十日町 stay as written. 条/線 are the numbered streets of
# Hokkaido addresses (北一条西 = 北1条西).
_MARKERS = "丁目|丁|番地|番|号|地割|条|線|の|" + f"[{_HYPHEN_CLASS}]"

ADDRESS_RULES: list[tuple[str, re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    # 一丁目 → 1丁目, 二十三番地 → 23番地, 五の → 5の (also at the end of the address: …十五 → …15)
    (
        "kanji numerals before a marker",
        re.compile(f"({_KANJI_NUMBER})(?=(?:{_MARKERS})|$)"),
        lambda m: str(kanji_to_int(m.group(1))),
    ),
    # 1-2-3 and 1−2−3 and 1ー2ー3: every hyphen variant between or after digits is "-"
    ("hyphen variants", re.compile(f"(?<=[0-9])[{_HYPHEN_CLASS}](?=[0-9])"), lambda m: "-"),
    # 一丁目 / 1丁 → "1-"; 2番地 / 2番 → "2-"; 3号 → "3" (trailing punctuation removed below)
    ("chome", re.compile("([0-9]+)(?:丁目|丁)"), lambda m: m.group(1) + "-"),
    ("banchi", re.compile("([0-9]+)(?:番地|番)"), lambda m: m.group(1) + "-"),
    ("go", re.compile("([0-9]+)号"), lambda m: m.group(1)),
    ("chiwari", re.compile("([0-9]+)地割"), lambda m: m.group(1) + "-"),
    # 2番地の3 → 2-の3 → 2-3 ; 5の2 → 5-2
    ("no after a number", re.compile("(?<=[0-9])-?の(?=[0-9])"), lambda m: "-"),
    # a marker that left a dash before a non-digit (…1-2-マンション) or a doubled dash
    ("doubled dash", re.compile("-{2,}"), lambda m: "-"),
    ("dash before a non-digit", re.compile("(?<=[0-9])-(?=[^0-9]|$)"), lambda m: ""),
]


def _address(text: str) -> _Tracked:
    t = _basic(text)
    for _name, pattern, repl in ADDRESS_RULES:
        t = t.sub(pattern, repl)
    return t


def normalise_address(text: str) -> str:
    return _address(text).text


# --- comparison ------------------------------------------------------------------------------

# Unflagged differences between these are still a mismatch; the pair only earns a hint.
_VARIANTS = "髙高 﨑崎 嵜崎 邊辺 邉辺 齋斎 齊斉 澤沢 濱浜 國国 櫻桜 德徳 廣広 龍竜 藝芸 與与 眞真 惠恵 榮栄"
VARIANT_PAIRS = {frozenset(pair) for pair in _VARIANTS.split()}


def _flags(flags: str, length: int) -> list[bool]:
    # Missing positions count as not flagged: a short flag string can only make the answer stricter.
    return [i < len(flags) and flags[i] == "1" for i in range(length)]


def _opcodes(exp: str, act: str) -> list[tuple[str, int, int, int, int]]:
    if len(exp) != len(act):
        matcher = SequenceMatcher(None, exp, act, autojunk=False)
        return [(op, i1, i2, j1, j2) for op, i1, i2, j1, j2 in matcher.get_opcodes()]
    # Same length: a substitute character stands in the place of the one it replaces, so compare
    # position by position. An alignment could pair a flagged character with its neighbour instead
    # (「山田」 and 「田田」: "delete 山, insert 田") and turn a substitute into a mismatch.
    ops: list[tuple[str, int, int, int, int]] = []
    start = 0
    while start < len(exp):
        same = exp[start] == act[start]
        end = start
        while end < len(exp) and (exp[end] == act[end]) == same:
            end += 1
        ops.append(("equal" if same else "replace", start, end, start, end))
        start = end
    return ops


def _compare(name: str, expected: _Tracked, actual: _Tracked, actual_flags: list[bool]) -> FieldResult:
    exp, act = expected.text, actual.text
    diffs: list[Difference] = []
    for op, i1, i2, j1, j2 in _opcodes(exp, act):
        if op == "equal":
            continue
        sources: set[int] = set()
        for src in actual.sources[j1:j2]:
            sources |= src
        flagged = op == "replace" and bool(sources) and all(actual_flags[i] for i in sources)
        variant = (
            not flagged
            and op == "replace"
            and i2 - i1 == j2 - j1
            and all(frozenset((a, b)) in VARIANT_PAIRS for a, b in zip(exp[i1:i2], act[j1:j2], strict=True))
        )
        diffs.append(Difference(exp[i1:i2], act[j1:j2], flagged, variant))
    if not diffs:
        verdict = Verdict.MATCH
    elif all(d.substitute for d in diffs):
        verdict = Verdict.MATCH_WITH_SUBSTITUTES
    else:
        verdict = Verdict.MISMATCH
    return FieldResult(name, verdict, exp, act, tuple(diffs))


def compare_name(expected: str, certificate: str, substitute_flags: str = "") -> FieldResult:
    actual = _basic(certificate)
    return _compare("name", _basic(expected), actual, _flags(substitute_flags, len(certificate)))


def compare_address(expected: str, certificate: str, substitute_flags: str = "") -> FieldResult:
    actual = _address(certificate)
    return _compare("address", _address(expected), actual, _flags(substitute_flags, len(certificate)))


def combine(results: Iterable[FieldResult]) -> MatchResult:
    fields = tuple(results)
    verdicts = {f.verdict for f in fields}
    if not fields or Verdict.MISMATCH in verdicts:
        verdict = Verdict.MISMATCH
    elif Verdict.MATCH_WITH_SUBSTITUTES in verdicts:
        verdict = Verdict.MATCH_WITH_SUBSTITUTES
    else:
        verdict = Verdict.MATCH
    return MatchResult(verdict, fields)


def match_identity(
    *,
    expected_name: str,
    certificate_name: str,
    certificate_name_flags: str = "",
    expected_address: str | None = None,
    certificate_address: str | None = None,
    certificate_address_flags: str = "",
) -> MatchResult:
    """Compare a person as recorded (registry evidence, or the agent named in a delegation) with a
    certificate's basic-4. Give both addresses to compare them too (the representative); leave them
    out for a name-only check (the agent). An empty value on either side is a mismatch."""
    if not expected_name.strip() or not certificate_name.strip():
        return MatchResult(Verdict.MISMATCH, (FieldResult("name", Verdict.MISMATCH, expected_name, certificate_name),))
    results = [compare_name(expected_name, certificate_name, certificate_name_flags)]
    if expected_address is not None or certificate_address is not None:
        exp_addr, cert_addr = expected_address or "", certificate_address or ""
        if not exp_addr.strip() or not cert_addr.strip():
            results.append(FieldResult("address", Verdict.MISMATCH, exp_addr, cert_addr))
        else:
            results.append(compare_address(exp_addr, cert_addr, certificate_address_flags))
    return combine(results)
