"""Delegation IDs (電子委任状 ID): 13 random Crockford base32 symbols and a mod-37 check symbol.

The 13 symbols carry 65 random bits; the 14th is Crockford's check symbol for the 65-bit value
(value mod 37, drawn from the 32 data symbols plus ``*~$=U``). The canonical form, used for
display, storage and URLs, is upper case in groups of four: ``7K3Q-9XWA-2M4P-HV``.

Input is forgiving where it cannot be ambiguous (lower case, full-width characters, hyphens
anywhere or none, spaces, Crockford's aliases I/L → 1 and O → 0) and precise where it fails:
the error says whether the length is wrong, which character is not allowed (1-based position in
what was typed) or whether the check symbol does not match, which means a typo.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from typing import Any

from django.utils.translation import gettext_lazy as _

from mynatrust.lib.text import shown

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CHECK_ALPHABET = ALPHABET + "*~$=U"
DATA_LENGTH = 13
LENGTH = DATA_LENGTH + 1
GROUP = 4
BITS = 5 * DATA_LENGTH  # 65
MAX_INPUT = 64  # characters of input read at most (spaces and hyphens included)

# Crockford's aliases, and the wave dash a Japanese input method gives for a typed tilde.
_ALIASES = {"I": "1", "L": "1", "O": "0", "\u301c": "~"}
# Hyphen look-alikes a Japanese input method or a word processor may produce, besides "-" itself;
# white space of any kind is ignored as well.
_HYPHENS = frozenset("-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc\uff0d\uff70")
_BAD_LENGTH = _("電子委任状 ID はハイフンを除いて %(expected)d 文字です（入力は %(actual)d 文字）。")
_BAD_CHARACTER = _("%(position)d 文字目の「%(character)s」は電子委任状 ID に使えない文字です。")
_DECODE = {symbol: index for index, symbol in enumerate(ALPHABET)}
_CANONICAL = re.compile(rf"(?:[{ALPHABET}]{{4}}-){{3}}[{ALPHABET}][{re.escape(CHECK_ALPHABET)}]", re.ASCII)
_CHECK_DECODE = {symbol: index for index, symbol in enumerate(CHECK_ALPHABET)}

# The forms a program may send (the validity API's contract, declared in its OpenAPI document):
# ASCII or full-width symbols in either case (I, L, O read as 1, 0; U only as the check symbol),
# the check-only symbols * ~ $ = (also full-width, and the wave dash for ~), and hyphens or
# spaces anywhere. Written with explicit \u escapes so that JSON Schema's regular expressions
# (ECMA-262) and Python's read it alike; at most MAX_INPUT characters. Whatever matches and carries
# the right check symbol parses; anything else :func:`parse_declared` refuses.
_SEPARATOR = r"[\- \u2010-\u2015\u2212\u3000\u30fc\uff0d\uff70]"
_DATA = r"[0-9A-TV-Za-tv-z\uff10-\uff19\uff21-\uff34\uff36-\uff3a\uff41-\uff54\uff56-\uff5a]"
_CHECK = r"[0-9A-Za-z*~$=\uff10-\uff19\uff21-\uff3a\uff41-\uff5a\uff0a\uff5e\uff04\uff1d\u301c]"
DECLARED_PATTERN = rf"^{_SEPARATOR}*(?:{_DATA}{_SEPARATOR}*){{{DATA_LENGTH}}}{_CHECK}{_SEPARATOR}*$"
_DECLARED = re.compile(DECLARED_PATTERN)
_DECLARED_CHARACTER = re.compile(rf"{_SEPARATOR}|{_CHECK}")


class DelegationIdError(ValueError):
    """A delegation ID that cannot be read. ``code`` is stable; ``message`` is translated."""

    EMPTY = "empty"
    BAD_LENGTH = "bad_length"
    BAD_CHARACTER = "bad_character"
    BAD_CHECK = "bad_check"

    def __init__(self, code: str, template: Any, **params: Any) -> None:
        self.code = code
        self.template = template
        self.params = params
        super().__init__(code)

    @property
    def position(self) -> int | None:
        return self.params.get("position")

    @property
    def message(self) -> str:
        # Formatted when read, so the message follows the language active at that moment.
        return str(self.template) % self.params if self.params else str(self.template)

    def __str__(self) -> str:
        return self.message


def generate() -> str:
    """A new random delegation ID in canonical form."""
    return _encode(secrets.randbits(BITS))


def parse(text: str) -> str:
    """The canonical form of a typed delegation ID, or :class:`DelegationIdError`."""
    if _CANONICAL.fullmatch(text):
        canonical = compact(text)
        if check_symbol(canonical[:DATA_LENGTH]) == canonical[DATA_LENGTH]:
            return text  # already canonical (an API path, a stored ID): nothing to normalise
    if len(text) > MAX_INPUT:
        # Far beyond any spelling of 14 symbols; not worth reading character by character.
        raise DelegationIdError(
            DelegationIdError.BAD_LENGTH,
            _BAD_LENGTH,
            expected=LENGTH,
            actual=len(text),
        )
    symbols: list[str] = []
    for position, typed in enumerate(text, start=1):
        if _is_separator(typed):
            continue
        char = unicodedata.normalize("NFKC", typed).upper()
        char = _ALIASES.get(char, char)
        if char in _CHECK_DECODE:
            symbols.append(char)
            continue
        raise DelegationIdError(
            DelegationIdError.BAD_CHARACTER,
            _BAD_CHARACTER,
            position=position,
            # An invisible character (a byte order mark, a bidi override) is named by its code point.
            character=shown(typed),
        )
    if not symbols:
        raise DelegationIdError(DelegationIdError.EMPTY, _("電子委任状 ID を入力してください。"))
    if len(symbols) != LENGTH:
        raise DelegationIdError(
            DelegationIdError.BAD_LENGTH,
            _BAD_LENGTH,
            expected=LENGTH,
            actual=len(symbols),
        )
    data, check = symbols[:DATA_LENGTH], symbols[DATA_LENGTH]
    for index, char in enumerate(data):
        if char not in _DECODE:
            # Only the check symbol may be one of * ~ $ = U.
            raise DelegationIdError(
                DelegationIdError.BAD_CHARACTER,
                _BAD_CHARACTER,
                position=_typed_position(text, index),
                character=char,
            )
    if check_symbol("".join(data)) != check:
        raise DelegationIdError(
            DelegationIdError.BAD_CHECK,
            _("電子委任状 ID が正しくありません。入力の誤りがないか確認してください。"),
        )
    return _format("".join(symbols))


def parse_declared(text: str) -> str:
    """:func:`parse` for the forms :data:`DECLARED_PATTERN` declares, and only those: a character
    :func:`parse` would also read (another compatibility form, a tab) is a bad character here."""
    if len(text) <= MAX_INPUT and not _DECLARED.fullmatch(text):
        for position, typed in enumerate(text, start=1):
            if not _DECLARED_CHARACTER.fullmatch(typed):
                raise DelegationIdError(
                    DelegationIdError.BAD_CHARACTER, _BAD_CHARACTER, position=position, character=shown(typed)
                )
    # Every character declared: the pattern fails exactly where parse does (length, a check-only
    # symbol or U in a data position), and only the check symbol is left for a matching text.
    return parse(text)


def is_valid(text: str) -> bool:
    try:
        parse(text)
    except DelegationIdError:
        return False
    return True


def check_symbol(data: str) -> str:
    """Crockford's check symbol for 13 data symbols in canonical upper case."""
    value = 0
    for char in data:
        value = value * 32 + _DECODE[char]
    return CHECK_ALPHABET[value % 37]


def compact(delegation_id: str) -> str:
    """The 14 symbols of a canonical ID without hyphens."""
    return delegation_id.replace("-", "")


def in_file_name(delegation_id: str) -> str:
    """The canonical ID as it appears in a download's file name.

    A check symbol that is not a letter or digit (``*~$=``) becomes ``_``: ``*`` is not allowed in
    Windows file names and browsers replace it each in their own way, so the service names the file
    the same for every browser. Nothing is lost: the check symbol follows from the 13 data symbols.
    """
    return delegation_id[:-1] + (delegation_id[-1] if delegation_id[-1].isalnum() else "_")


def _encode(value: int) -> str:
    data = []
    for _shift in range(DATA_LENGTH):
        value, digit = divmod(value, 32)
        data.append(ALPHABET[digit])
    symbols = "".join(reversed(data))
    return _format(symbols + check_symbol(symbols))


def _format(symbols: str) -> str:
    return "-".join(symbols[i : i + GROUP] for i in range(0, len(symbols), GROUP))


def _typed_position(text: str, symbol_index: int) -> int:
    """1-based position in ``text`` of the symbol with the given index (separators skipped)."""
    seen = -1
    for position, typed in enumerate(text, start=1):
        if _is_separator(typed):
            continue
        seen += 1
        if seen == symbol_index:
            return position
    return len(text)


def _is_separator(typed: str) -> bool:
    return typed in _HYPHENS or typed.isspace()
