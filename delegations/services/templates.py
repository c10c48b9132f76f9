"""The 委任事項 templates staff keep in the admin (``MatterTemplate``): each save is a new version
and an audit event carrying the whole text, so what a template said on any day can be shown."""

from __future__ import annotations

from typing import Any

import audit
from delegations.models import MatterTemplate
from kernel import Actor, service


def active_templates() -> Any:
    """The templates a subscriber may pick, in the order staff set."""
    return MatterTemplate.objects.filter(is_active=True).order_by("category", "position", "pk")


@service("delegations.matter_template.save")
def save_matter_template(template: MatterTemplate, *, actor: Actor) -> MatterTemplate:
    if template.pk is not None:
        stored = MatterTemplate.objects.select_for_update().get(pk=template.pk)
        template.version = stored.version + 1
    template.updated_by = actor if getattr(actor, "pk", None) else None  # type: ignore[assignment]
    template.save()
    audit.record(
        "delegations.matter_template.saved",
        actor=actor,
        subject=template,
        version=template.version,
        category=template.category,
        label=template.label,
        powers=template.powers,
        limitations=template.limitations,
        is_active=template.is_active,
    )
    return template
