"""法人番号 (13 digits, National Tax Agency) and 会社法人等番号 (12 digits): parsing, no ORM."""

from __future__ import annotations

import re
import unicodedata

from stdnum.exceptions import InvalidChecksum, InvalidFormat, InvalidLength
from stdnum.jp import cn

from registry.matching import HYPHENS

_SEPARATORS = re.compile(f"[\\s{re.escape(HYPHENS)}]")


class CorporateNumberError(ValueError):
    """``code`` is one of: empty, format, length, checksum."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def normalise(text: str) -> str:
    """Full-width digits to ASCII; hyphens and spaces removed (「８７００－１１０－００５９０１」 → 8700110005901)."""
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", text or ""))


def parse(text: str) -> str:
    """A valid 13-digit corporate number, or CorporateNumberError saying what is wrong."""
    number = normalise(text)
    if not number:
        raise CorporateNumberError("empty")
    if not number.isascii() or not number.isdigit():
        raise CorporateNumberError("format")
    try:
        return str(cn.validate(number))
    except InvalidLength:
        raise CorporateNumberError("length") from None
    except InvalidChecksum:
        raise CorporateNumberError("checksum") from None
    except InvalidFormat:
        raise CorporateNumberError("format") from None


def company_registry_number(corporate_number: str) -> str:
    """The 12-digit company registry number inside a corporate number (without its check digit).

    Only corporations registered at a Legal Affairs Bureau have one; for them it is the last 12 digits."""
    return corporate_number[1:]
