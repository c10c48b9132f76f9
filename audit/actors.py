"""Who did something, described without importing any other app (duck-typed users)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Actor:
    """``kind``: staff | subscriber | recipient | api_key | system | anonymous. ``ip`` (optional)
    overrides the request context's address, e.g. for an anonymous caller seen elsewhere."""

    kind: str
    id: str = ""
    label: str = ""
    ip: str = ""


SYSTEM = Actor("system", "system", "system")
ANONYMOUS = Actor("anonymous")


def describe(actor: Any) -> Actor:
    """An Actor for a user, an API key (anything with ``audit_actor()``), an Actor, or None."""
    if isinstance(actor, Actor):
        return actor
    own = getattr(actor, "audit_actor", None)
    if callable(own):
        result = own()
        if isinstance(result, Actor):
            return result
    if actor is None or not getattr(actor, "is_authenticated", False):
        return ANONYMOUS
    kind = str(getattr(actor, "kind", "") or "user")
    return Actor(kind, str(actor.pk), str(getattr(actor, "email", "") or actor))
