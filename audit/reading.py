"""What :func:`audit.record_reading` reads an event's data from (no model imports: importable anywhere)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Reading:
    """A read that an event is recorded with, in one statement.

    ``sql`` is a SELECT that gives at most one row, with ``%(name)s`` parameters from ``params``.
    ``fields`` adds entries to the event's data computed from that row: key -> (SQL expression, type),
    the expression naming the row's columns ``found.<column>`` (a row of NULLs when nothing was found)
    and free to use ``params``; the type (``str`` or ``bool``) says how to read its value back.
    ``guard``, when given, is an SQL condition (free to use ``params``) checked in the same statement:
    the event is appended only when it holds, so a precondition the caller took from a cache (a key
    still usable, say) is confirmed by the database at the instant of the event, at no extra round
    trip. When it does not hold nothing is written and the event's id comes back as None.
    """

    sql: str
    params: dict[str, Any]
    fields: dict[str, tuple[str, type]] = field(default_factory=dict)
    guard: str | None = None
