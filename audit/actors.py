"""Who did something, described without importing any other app (duck-typed users)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Actor:
    kind: str  # staff | subscriber | recipient | api_key | system | anonymous
    id: str = ""
    label: str = ""


SYSTEM = Actor("system", "system", "system")
ANONYMOUS = Actor("anonymous")


def describe(actor: Any) -> Actor:
    if isinstance(actor, Actor):
        return actor
    if actor is None or not getattr(actor, "is_authenticated", False):
        return ANONYMOUS
    kind = str(getattr(actor, "kind", "") or "user")
    return Actor(kind, str(actor.pk), str(getattr(actor, "email", "") or actor))
