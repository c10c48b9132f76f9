"""Records of who exported or downloaded what."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import audit
from delegations.models import Delegation
from kernel import Actor
from registry.models import Subscriber

if TYPE_CHECKING:
    pass


def record_export(subscriber: Subscriber, *, actor: Actor, rows: int, filters: dict[str, Any]) -> None:
    audit.record(
        "delegations.list.exported",
        actor=actor,
        subscriber=subscriber.public_id,
        rows=rows,
        filters={k: str(v) for k, v in filters.items() if v},
    )


def record_download(delegation: Delegation, *, actor: Actor, what: str) -> None:
    audit.record("delegations.file.downloaded", actor=actor, subject=delegation, what=what)
