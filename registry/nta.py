"""The National Tax Agency's corporate-number data (法人番号公表サイト): the 30-column CSV of the bulk
download and difference files, and the Web-API (``/num``, XML). Plain data in and out, no ORM."""

from __future__ import annotations

import io
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO, Any

from django.utils.translation import gettext
from lxml import etree

# (CSV/XML name, CorporateRecord field, max length), in the order of the published CSV.
COLUMNS: list[tuple[str, str, int]] = [
    ("sequenceNumber", "sequence_number", 0),
    ("corporateNumber", "corporate_number", 13),
    ("process", "process", 2),
    ("correct", "correct", 1),
    ("updateDate", "update_date", 0),
    ("changeDate", "change_date", 0),
    ("name", "name", 300),
    ("nameImageId", "name_image_id", 8),
    ("kind", "kind", 3),
    ("prefectureName", "prefecture_name", 10),
    ("cityName", "city_name", 20),
    ("streetNumber", "street_number", 300),
    ("addressImageId", "address_image_id", 8),
    ("prefectureCode", "prefecture_code", 2),
    ("cityCode", "city_code", 3),
    ("postCode", "post_code", 7),
    ("addressOutside", "address_outside", 300),
    ("addressOutsideImageId", "address_outside_image_id", 8),
    ("closeDate", "close_date", 0),
    ("closeCause", "close_cause", 2),
    ("successorCorporateNumber", "successor_corporate_number", 13),
    ("changeCause", "change_cause", 500),
    ("assignmentDate", "assignment_date", 0),
    ("latest", "latest", 1),
    ("enName", "en_name", 300),
    ("enPrefectureName", "en_prefecture_name", 9),
    ("enCityName", "en_city_name", 600),
    ("enAddressOutside", "en_address_outside", 600),
    ("furigana", "furigana", 500),
    ("hihyoji", "hihyoji", 1),
]
FIELDS = [f for _c, f, _n in COLUMNS]
DATE_FIELDS = {"update_date", "change_date", "close_date", "assignment_date"}
_DATE_INDEXES = [i for i, (_c, f, _n) in enumerate(COLUMNS) if f in DATE_FIELDS]
_LIMITS = [(i, n) for i, (_c, _f, n) in enumerate(COLUMNS) if n]
PROCESS_DELETED = "99"


class RowError(ValueError):
    """A CSV row that cannot be imported; ``str()`` is the reason, in Japanese."""


class FileFormatError(ValueError):
    """The file as a whole cannot be read (not a CSV/ZIP, unknown encoding)."""


def _valid_number(number: str) -> bool:
    """The NTA check digit (stdnum.jp.cn's rule, inlined on bytes: it runs for every imported row).

    Weights from the right of the 12-digit body are 1, 2, 1, 2 …: 2 for number[1::2], 1 for number[2::2]."""
    if len(number) != 13 or not number.isascii() or not number.isdigit():
        return False
    digits = number.encode()
    total = 2 * (sum(digits[1::2]) - 48 * 6) + sum(digits[2::2]) - 48 * 6
    return digits[0] - 48 == 9 - total % 9


def _is_date(text: str) -> bool:
    if len(text) != 10 or text[4] != "-" or text[7] != "-":
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


_SMALL_LIMITS = [(i, n) for i, n in _LIMITS if n < 300]


def check_row(fields: list[str], *, full: bool = True) -> None:
    """Raise RowError (reason in the active language) unless the row can be stored as it is.

    ``full=False`` leaves dates and lengths to the database (the importer's fast path: PostgreSQL
    refuses the batch and the importer then checks it again in full, row by row)."""
    if len(fields) != len(COLUMNS):
        raise RowError(
            gettext("列の数が%(count)sです（%(expected)s列のはずです）")
            % {"count": len(fields), "expected": len(COLUMNS)}
        )
    sequence = fields[0]
    if not (sequence.isascii() and sequence.isdigit()) or len(sequence) > 18:
        raise RowError(gettext("一連番号が数字ではありません：%(value)r") % {"value": sequence[:20]})
    if not _valid_number(fields[1]):
        raise RowError(gettext("法人番号が正しくありません：%(value)r") % {"value": fields[1][:20]})
    if fields[20] and not _valid_number(fields[20]):
        raise RowError(gettext("承継先法人番号が正しくありません：%(value)r") % {"value": fields[20][:20]})
    if not fields[6]:
        raise RowError(gettext("商号又は名称が空です"))
    if not full:
        return
    for i in _DATE_INDEXES:
        text = fields[i]
        if text and not _is_date(text):
            raise RowError(
                gettext("%(column)s の日付が正しくありません：%(value)r")
                % {"column": COLUMNS[i][0], "value": text[:20]}
            )
    limits = _SMALL_LIMITS if sum(map(len, fields)) < 300 else _LIMITS
    for i, limit in limits:
        if len(fields[i]) > limit:
            raise RowError(
                gettext("%(column)s が長すぎます（%(length)s文字）")
                % {"column": COLUMNS[i][0], "length": len(fields[i])}
            )


def parse_row(fields: list[str]) -> list[Any]:
    """Validate one CSV row; returns the values in COLUMNS order (dates as ``date`` or None)."""
    check_row(fields)
    values: list[Any] = list(fields)
    values[0] = int(fields[0])
    for i in _DATE_INDEXES:
        values[i] = date.fromisoformat(fields[i]) if fields[i] else None
    return values


# --- reading the bulk files: ZIP or CSV, UTF-8 ("Unicode" edition) or Shift_JIS -----------------


@contextmanager
def open_source(path: Path) -> Iterator[IO[bytes]]:
    """The CSV bytes of a downloaded file: the first .csv inside a ZIP, or the file itself."""
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if n.lower().endswith(".csv")]
            if not names:
                raise FileFormatError(gettext("ZIPファイルにCSVファイルが含まれていません。"))
            with archive.open(names[0]) as member:
                yield io.BufferedReader(member, buffer_size=1 << 20)  # type: ignore[type-var]
    else:
        with open(path, "rb", buffering=1 << 20) as raw:
            yield raw


def detect_encoding(head: bytes) -> str:
    """The encoding most lines of the first megabyte decode in: UTF-8 (preferred on a tie, as for pure
    ASCII) or Shift_JIS (cp932). Lines in neither are reported later, one by one, as bad rows."""
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head[:4096]:
        raise FileFormatError(
            gettext("UTF-16 やバイナリのファイルは読めません。UTF-8 か Shift_JIS の CSV を指定してください。")
        )
    lines = head.split(b"\n")
    if len(lines) > 1 and len(head) >= 1 << 20:
        lines = lines[:-1]  # the last line of a full sample may be cut in the middle of a character
    counts = dict.fromkeys(("utf-8", "cp932"), 0)
    for line in lines:
        for encoding in counts:
            try:
                line.decode(encoding)
            except UnicodeDecodeError:
                continue
            counts[encoding] += 1
    if counts["utf-8"] and counts["utf-8"] >= counts["cp932"]:
        return "utf-8"
    if counts["cp932"] * 2 > len(lines):
        return "cp932"
    raise FileFormatError(gettext("文字コードを判別できません。UTF-8 か Shift_JIS の CSV を指定してください。"))


@dataclass(frozen=True)
class CorporateInfo:
    """One corporation as published (Web-API answer); field names as CorporateRecord."""

    values: dict[str, Any]

    @property
    def corporate_number(self) -> str:
        return str(self.values["corporate_number"])


# --- the Web-API (/num) --------------------------------------------------------------------------


class NtaApiError(RuntimeError):
    """``code``: timeout, unavailable, http, bad_response."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code


_XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
_XML_FIELDS = {c: f for c, f, _n in COLUMNS}


def parse_num_response(body: bytes) -> list[CorporateInfo]:
    """The corporations in a ``/num`` XML answer (type=12); an empty list when none was found."""
    try:
        root = etree.fromstring(body, parser=_XML_PARSER)
    except etree.XMLSyntaxError as exc:
        raise NtaApiError("bad_response", str(exc)) from None
    if root.tag != "corporations":
        raise NtaApiError("bad_response", f"root element {root.tag!r}")
    found = []
    for node in root.iterfind("corporation"):
        fields = [(node.findtext(col) or "").strip() for col, _f, _n in COLUMNS]
        try:
            values = parse_row(fields)
        except RowError as exc:
            raise NtaApiError("bad_response", str(exc)) from None
        found.append(CorporateInfo(dict(zip(FIELDS, values, strict=True))))
    return found


class NtaClient:
    """法人番号システム Web-API, version 4: ``GET {base}/num?id=…&number=…&type=12&history=0``."""

    def __init__(self, base_url: str, application_id: str, timeout: float = 5.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.application_id = application_id
        self.timeout = timeout

    def lookup(self, corporate_number: str) -> CorporateInfo | None:
        query = urllib.parse.urlencode(
            {"id": self.application_id, "number": corporate_number, "type": "12", "history": "0"}
        )
        url = f"{self.base_url}/num?{query}"
        if not url.startswith(("https://", "http://")):
            raise NtaApiError("unavailable", "the API URL must be http(s)")
        try:
            with urllib.request.urlopen(url, timeout=self.timeout) as response:  # noqa: S310 (scheme checked)
                body = response.read(1 << 20)
        except urllib.error.HTTPError as exc:
            raise NtaApiError("http", f"HTTP {exc.code}") from None
        except TimeoutError:
            raise NtaApiError("timeout") from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise NtaApiError("timeout") from None
            raise NtaApiError("unavailable", str(exc.reason)) from None
        for info in parse_num_response(body):
            if info.corporate_number == corporate_number:
                return info
        return None
