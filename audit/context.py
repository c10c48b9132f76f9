"""Request context for audit events: who is calling from where, set by middleware per request."""

from __future__ import annotations

import contextvars
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class RequestContext:
    request_id: str = ""
    ip: str = ""
    user_agent: str = ""
    # The request itself, for code that records on its behalf without being handed it (a form
    # refusing its input records who submitted it: ``request.user`` once authentication has run).
    request: Any = field(default=None, compare=False, repr=False)
    # Where the acts come from when it is not a web request: a management command binds
    # {"entry": "cli", "host": …, "os_user": …, "command": …}, recorded in each event's data.
    entry_point: dict[str, str] | None = field(default=None, compare=False)

    @property
    def user(self) -> Any:
        return getattr(self.request, "user", None)


_current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar("audit_request", default=None)


def bind(ctx: RequestContext) -> contextvars.Token[RequestContext | None]:
    return _current.set(ctx)


def reset(token: contextvars.Token[RequestContext | None]) -> None:
    _current.reset(token)


def current() -> RequestContext:
    return _current.get() or RequestContext()
