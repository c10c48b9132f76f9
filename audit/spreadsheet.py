"""The one CSV writer of every export (audit log, operations ledgers): CSV for Excel, each cell a
spreadsheet could read as a formula made plain text.

A cell starting with ``= + - @``, their full-width forms ``＝ ＋ － ＠`` (Japanese Excel reads them
as the ASCII signs), a tab, a line break or an apostrophe gets one leading apostrophe. Readers of
the file remove one leading apostrophe from a cell that has one (the offline audit verifier does),
so every value comes back exactly. Pure: no Django import; it lives in the audit app because every
app may import audit and audit imports none."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any, Protocol

FORMULA_START = ("=", "+", "-", "@", "＝", "＋", "－", "＠", "\t", "\r", "\n", "'")
BOM = "\ufeff"


class _Writable(Protocol):
    def write(self, text: str, /) -> Any: ...


def cell(value: object) -> str:
    """``value`` as text a spreadsheet shows as written and never evaluates."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


class Writer:
    """``csv.writer`` for Excel (CRLF line ends) that neutralises every cell it writes."""

    def __init__(self, stream: _Writable) -> None:
        self._writer = csv.writer(stream, lineterminator="\r\n")

    def writerow(self, row: Iterable[object]) -> None:
        self._writer.writerow([cell(value) for value in row])
