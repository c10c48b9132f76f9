"""Japanese era dates (和暦) as typed: 令和9年1月1日, 令和元年5月1日, R9.1.1 → 2027-01-01 text.

Pure: text in, text out. Input that names no era is returned unchanged, so the date field's own
formats decide; an era year before the era began or past its end is left for the field to refuse.
"""

from __future__ import annotations

import re
import unicodedata

# First Gregorian year of each era, and its last year (None: current).
ERAS = {
    "令和": (2019, None),
    "平成": (1989, 2019),
    "昭和": (1926, 1989),
    "大正": (1912, 1926),
    "明治": (1868, 1912),
}
LETTERS = {"R": "令和", "H": "平成", "S": "昭和", "T": "大正", "M": "明治"}

_ERA_DATE = re.compile(
    r"^\s*(?P<era>令和|平成|昭和|大正|明治|[RHSTM])\s*(?P<year>元|\d{1,2})\s*[年./-]\s*(?P<month>\d{1,2})\s*[月./-]\s*"
    r"(?P<day>\d{1,2})\s*日?(?P<rest>.*)$"
)


def to_gregorian(text: str) -> str:
    value = unicodedata.normalize("NFKC", text)
    match = _ERA_DATE.match(value.upper() if value[:1].isascii() else value)
    if match is None:
        return text
    era = LETTERS.get(match["era"], match["era"])
    first, last = ERAS[era]
    year = 1 if match["year"] == "元" else int(match["year"])
    gregorian = first + year - 1
    if year < 1 or (last is not None and gregorian > last):
        return text
    rest = match["rest"].strip()
    day = f"{gregorian:04d}-{int(match['month']):02d}-{int(match['day']):02d}"
    return f"{day} {rest}" if rest else day
