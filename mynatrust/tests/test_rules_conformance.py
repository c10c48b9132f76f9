"""docs/rules-conformance.md stays true to the code: at least 110 rows, and every test it names
exists (a renamed or deleted test fails here rather than leaving the table pointing at nothing)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TABLE = ROOT / "docs" / "rules-conformance.md"
REFERENCE = re.compile(r"`([\w/]+\.py)(?:::(\w+))?`|`::(\w+)`")


def test_the_table_has_a_row_for_every_requirement_found():
    rows = [line for line in TABLE.read_text(encoding="utf-8").splitlines() if re.match(r"^\| \d+ \|", line)]
    assert len(rows) >= 110
    assert {row.split("|")[4].strip() for row in rows} <= {"works", "partly", "missing", "outside"}


def test_every_test_it_names_exists():
    missing, current = [], None
    for match in REFERENCE.finditer(TABLE.read_text(encoding="utf-8")):
        path, name, continued = match.groups()
        if path:
            current = ROOT / path
            if not current.exists():
                missing.append(path)
                continue
        name = name or continued
        if name and current is not None and f"def {name}(" not in current.read_text(encoding="utf-8"):
            missing.append(f"{current.relative_to(ROOT)}::{name}")
    assert missing == []


def test_the_counts_line_matches_the_rows():
    text = TABLE.read_text(encoding="utf-8")
    rows = [line.split("|") for line in text.splitlines() if re.match(r"^\| \d+ \|", line)]
    status = {int(row[1]): row[4].strip() for row in rows}
    counts = re.search(r"Counts: (\d+) rows; works (\d+), partly (\d+), missing (\d+)", text)
    assert counts is not None
    assert [int(n) for n in counts.groups()] == [
        len(rows),
        *(sum(1 for s in status.values() if s == name) for name in ("works", "partly", "missing")),
    ]
    named = re.search(r"missing \d+ \(rows ([\d, ]+)\)", text)
    missing = sorted(n for n, s in status.items() if s == "missing")
    assert (sorted(int(n) for n in named.group(1).split(", ")) if named else []) == missing
