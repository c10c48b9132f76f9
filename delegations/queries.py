"""Read-only questions other code asks about delegations (lists, the validity service).

``validity`` reads through :func:`validity_facts` only; nothing here imports it (arrows run
validity → delegations)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import OuterRef, Q, Subquery
from django.utils.translation import gettext_lazy as _

from audit.models import AuditEvent
from delegations.models import Delegation, DelegationQuerySet, SignedFile
from mynatrust.lib import delegation_id as delegation_ids

LIST_FIELDS = (
    "public_id",
    "delegation_id",
    "status",
    "agent_name",
    "agent_title",
    "agent_qualification",
    "valid_from",
    "valid_until",
    "created_at",
    "replaces_id",
)


def list_for_subscriber(
    subscriber: Any, *, status: str = "", agent: str = "", on: date | None = None, **_: Any
) -> DelegationQuerySet:
    """The subscriber's delegations, newest first, with only the columns a list shows (no file bytes)."""
    rows = Delegation.objects.for_subscriber(subscriber).only(*LIST_FIELDS).order_by("-created_at", "-id")
    if status:
        rows = rows.filter(status=status)
    if agent:
        rows = rows.filter(Q(agent_name__icontains=agent) | Q(agent_title__icontains=agent))
    if on:
        rows = rows.filter(valid_from__lte=on, valid_until__gte=on)
    return rows


@dataclass(frozen=True, kw_only=True)
class StoredDelegation:
    """What a stored, once-activated delegation says, taken from the generated XML that was signed
    (the columns equal it) and the stored signed file. Field names follow validity.answer.DelegationFacts."""

    delegation_id: str
    valid_from: date
    valid_until: date
    revoked_at: datetime | None
    superseded_by: str | None
    superseded_at: datetime | None
    principal_name: str
    principal_corporate_number: str
    agent_name: str
    agent_title: str
    powers: str
    limitations: str
    signed_file_sha256: str


ANSWERED_STATUSES = (Delegation.Status.ACTIVE, Delegation.Status.REVOKED, Delegation.Status.SUPERSEDED)


def validity_facts(delegation_id: str) -> StoredDelegation | None:
    """One query (indexed by canonical ID, the signed file's digest in a subquery); None for drafts,
    submissions never activated and unknown IDs."""
    if not delegation_ids.is_valid(delegation_id):
        return None
    row = (
        Delegation.objects.filter(delegation_id=delegation_ids.parse(delegation_id), status__in=ANSWERED_STATUSES)
        .select_related("subscriber", "superseded_by")
        .annotate(
            signed_sha256=Subquery(
                SignedFile.objects.filter(delegation=OuterRef("pk"), role=SignedFile.Role.PRINCIPAL).values("sha256")[
                    :1
                ]
            )
        )
        .only(
            "delegation_id",
            "valid_from",
            "valid_until",
            "revoked_at",
            "superseded_at",
            "superseded_by__delegation_id",
            "principal_name",
            "subscriber__corporate_number",
            "agent_name",
            "agent_title",
            "powers",
            "limitations",
        )
        .first()
    )
    if row is None:
        return None
    return StoredDelegation(
        delegation_id=row.delegation_id or "",
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        revoked_at=row.revoked_at,
        superseded_by=row.superseded_by.delegation_id if row.superseded_by else None,
        superseded_at=row.superseded_at,
        principal_name=row.principal_name,
        principal_corporate_number=row.subscriber.corporate_number,
        agent_name=row.agent_name,
        agent_title=row.agent_title,
        powers=row.powers,
        limitations=row.limitations,
        signed_file_sha256=getattr(row, "signed_sha256", None) or "",
    )


@dataclass(frozen=True)
class RecipientCheck:
    organisation: str
    checked_at: datetime
    status: str
    digest_match: bool | None


def recipient_checks(delegation: Delegation, *, limit: int = 100) -> list[RecipientCheck]:
    """Who asked the validity service about this delegation, newest first (§5 transparency to the
    subscriber). Read from the audit log, which carries the recipient organisation's name, so this
    app needs nothing from the validity app."""
    if not delegation.delegation_id:
        return []
    events = (
        AuditEvent.objects.filter(
            event_type="validity.query",
            subject_type="delegations.delegation",
            subject_id=delegation.delegation_id,
        )
        .order_by("-id")
        .only("created_at", "data")[:limit]
    )
    return [
        RecipientCheck(
            organisation=str(event.data.get("organisation") or _("登録されていない照会者")),
            checked_at=event.created_at,
            status=str(event.data.get("status", "")),
            digest_match=event.data.get("digest_match"),
        )
        for event in events
    ]
