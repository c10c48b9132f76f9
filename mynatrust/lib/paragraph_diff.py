"""A comparison table of two versions of a document (新旧対照表), paragraph by paragraph.

A paragraph is one non-empty line of the body (the repository's documents are written one article
or item per line). Paragraphs are matched in order; a changed paragraph is shown beside the one it
replaces with the changed characters marked, an added one beside an empty cell and a removed one
the other way round. A run of unchanged paragraphs is kept as one row that says how many there are,
with its first paragraph for orientation. No ORM, no Django: text in, rows out.
"""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher
from itertools import zip_longest
from typing import Literal

# (text, changed): a paragraph cut into the pieces that differ from the other side and those that do not
Segments = tuple[tuple[str, bool], ...]
Kind = Literal["changed", "added", "removed", "unchanged"]


@dataclass(frozen=True)
class Row:
    kind: Kind
    new: Segments  # 改正後 (empty when removed)
    old: Segments  # 改正前 (empty when added)
    unchanged_count: int = 0  # for an "unchanged" row: how many paragraphs it stands for


def paragraphs(text: str) -> list[str]:
    return [line.strip() for line in text.replace("\r\n", "\n").split("\n") if line.strip()]


def _marked(old: str, new: str) -> tuple[Segments, Segments]:
    old_parts: list[tuple[str, bool]] = []
    new_parts: list[tuple[str, bool]] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if old[i1:i2]:
            old_parts.append((old[i1:i2], tag != "equal"))
        if new[j1:j2]:
            new_parts.append((new[j1:j2], tag != "equal"))
    return tuple(old_parts), tuple(new_parts)


def compare(old_text: str, new_text: str) -> list[Row]:
    """The rows of the comparison table, in the order of the new version."""
    old, new = paragraphs(old_text), paragraphs(new_text)
    rows: list[Row] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag == "equal":
            first = ((new[j1], False),)
            rows.append(Row("unchanged", first, first, unchanged_count=j2 - j1))
            continue
        for before, after in zip_longest(old[i1:i2], new[j1:j2]):
            if before is None:
                rows.append(Row("added", ((after, True),), ()))
            elif after is None:
                rows.append(Row("removed", (), ((before, True),)))
            else:
                old_marked, new_marked = _marked(before, after)
                rows.append(Row("changed", new_marked, old_marked))
    return rows


def has_changes(rows: list[Row]) -> bool:
    return any(row.kind != "unchanged" for row in rows)
