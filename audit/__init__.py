"""The audit log (§6.2). ``audit.record`` is its one writer."""

from __future__ import annotations

from typing import Any

from audit.actors import ANONYMOUS, SYSTEM, Actor

__all__ = ["ANONYMOUS", "SYSTEM", "Actor", "record"]


def record(event_type: str, *, actor: Any, subject: Any = None, **data: Any) -> Any:
    """Append one event. ``actor`` is a user, an ``audit.actors.Actor`` or None (anonymous);
    ``subject`` a model instance or a ``(type, id)`` pair; ``data`` JSON-serialisable details."""
    from audit.recorder import record as _record

    return _record(event_type, actor=actor, subject=subject, **data)
