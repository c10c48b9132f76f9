"""The losses acknowledged after a restore older than the signed head (audit.restores finds and
acknowledges them): the event type that records one, and the record read back for verification."""

from __future__ import annotations

from typing import Any

from audit.models import AuditEvent

ACKNOWLEDGED = "audit.restore_loss_acknowledged"


def acknowledged_losses() -> list[dict[str, Any]]:
    """Every loss acknowledged so far (the events' data, oldest first), for verification reports."""
    return [
        {**event.data, "event_id": event.pk, "at": event.created_at, "actor": event.actor_label}
        for event in AuditEvent.objects.filter(event_type=ACKNOWLEDGED).order_by("id")
    ]
