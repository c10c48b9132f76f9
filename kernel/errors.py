"""One base for every refusal a service raises.

A refusal carries a stable ``code`` (what a test, an API client or an audit reader keys on), a
``message`` translated and safe to show to the person who asked, optionally the form ``field`` it
belongs to and further ``details`` lines. Each app subclasses it once (``RegistryError``,
``DelegationError`` …) so a view can catch its own app's refusals; :func:`kernel.service` catches
them all. Pure helpers (parsers, crypto) raise ``ValueError`` subclasses of their own and the
service that calls them turns them into its refusal. No Django import here: the pure signature
package may import this module.
"""

from __future__ import annotations

from collections.abc import Sequence


class ServiceError(Exception):
    """A refused action. ``recorded`` is set once its refusal event is on the record, so a nested
    service or a hand-written record does not write it twice."""

    default_code = "invalid"

    def __init__(
        self,
        message: object = "",
        *,
        code: str | None = None,
        field: str | None = None,
        details: Sequence[str] | None = None,
    ) -> None:
        super().__init__(str(message))
        self._message = str(message)
        self.code = code or self.default_code
        self.field = field
        self.details = list(details or [])
        self.recorded = False

    @property
    def message(self) -> str:
        return self._message

    def __str__(self) -> str:
        return self.message


def first_line(error: BaseException, limit: int = 200) -> str:
    """The first line of ``error``'s text, cut to ``limit`` characters: what a mail server or the
    database answered, short enough for an audit event, and never the rest (a body, a query)."""
    lines = str(error).strip().splitlines()
    return lines[0][:limit] if lines else ""
