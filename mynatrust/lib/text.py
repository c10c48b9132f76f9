"""Characters nobody types into a name, an address or a description: control characters, invisible
format characters (bidi overrides, zero-width spaces, byte order marks), line and paragraph
separators, surrogates, non-characters and the replacement character a broken encoding leaves.

Such characters make two different values look the same on screen (a bidi override reverses what
follows it), break the XML of a delegation or a terminal reading the logs, and are never needed by
Japanese text: variation selectors for kanji variants are combining marks, not format characters,
and stay allowed. Pure: no Django import."""

from __future__ import annotations

import unicodedata

_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
MULTILINE_ALLOWED = frozenset("\t\n\r")


def _is_noncharacter(char: str) -> bool:
    code = ord(char)
    return 0xFDD0 <= code <= 0xFDEF or (code & 0xFFFE) == 0xFFFE


def refused_characters(text: str, *, multiline: bool = False) -> list[str]:
    """The distinct refused characters of ``text`` in order of appearance; empty when it is plain."""
    found: dict[str, None] = {}
    for char in text:
        if multiline and char in MULTILINE_ALLOWED:
            continue
        if unicodedata.category(char) in _REFUSED_CATEGORIES or char == "\ufffd" or _is_noncharacter(char):
            found[char] = None
    return list(found)


def shown(char: str) -> str:
    """A character as it can be shown back in a message: itself when visible, else its code point."""
    if len(char) == 1 and char.isprintable() and not char.isspace() and char != "\ufffd":
        return char
    return ", ".join(f"U+{ord(c):04X}" for c in char)
