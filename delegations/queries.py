"""Read-only questions other code asks about delegations (lists, the validity service).

``validity`` reads through :func:`validity_facts` only; nothing here imports it (arrows run
validity → delegations)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from delegations.models import Delegation, DelegationQuerySet, SignedFile
from delegations.standing import Standing, today_in_japan
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
    "revoked_at",
    "superseded_at",
    "superseded_by_id",
)


# A delegation whose period ends within this many days is counted as ending soon on the list.
ENDING_SOON_DAYS = 30


def counts_for_subscriber(subscriber: Any) -> dict[str, int]:
    """The list's dashboard in one query: in force today (有効), of those ending within
    ``ENDING_SOON_DAYS`` (期限間近), waiting for signatures (署名待ち), and drafts (下書き)."""
    today = today_in_japan(timezone.now())
    in_force = Q(status=Delegation.Status.ACTIVE, valid_from__lte=today, valid_until__gte=today)
    return Delegation.objects.for_subscriber(subscriber).aggregate(
        valid=Count("pk", filter=in_force),
        ending=Count("pk", filter=in_force & Q(valid_until__lte=today + timedelta(days=ENDING_SOON_DAYS))),
        waiting=Count("pk", filter=Q(status=Delegation.Status.AWAITING_SIGNATURES)),
        drafts=Count("pk", filter=Q(status=Delegation.Status.DRAFT)),
    )


def list_for_subscriber(
    subscriber: Any, *, status: str = "", agent: str = "", on: date | None = None, **_: Any
) -> DelegationQuerySet:
    """The subscriber's delegations, newest first, with only the columns a list shows (no file bytes)."""
    rows = Delegation.objects.for_subscriber(subscriber).only(*LIST_FIELDS).order_by("-created_at", "-id")
    if status:
        rows = rows.standing_on(Standing(status), today_in_japan(timezone.now()))
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

# The validity service's read, written once as SQL: the ORM spent several times longer compiling
# this query than the database took to answer it, on the busiest path of the service. One indexed
# lookup by canonical ID (unique index), the subscriber's corporate number, the replacement's ID and
# the principal's signed-file digest (one per role, unique). Column names are StoredDelegation's
# fields, in its order. Portable SQL: it runs on PostgreSQL and on SQLite (the embedded demo).
_D = Delegation._meta.db_table
_S = Delegation._meta.get_field("subscriber").related_model._meta.db_table
_F = SignedFile._meta.db_table
VALIDITY_FACTS_SQL = f"""
SELECT d.delegation_id AS delegation_id, d.valid_from AS valid_from, d.valid_until AS valid_until,
       d.revoked_at AS revoked_at, successor.delegation_id AS superseded_by, d.superseded_at AS superseded_at,
       d.principal_name AS principal_name, subscriber.corporate_number AS principal_corporate_number,
       d.agent_name AS agent_name, d.agent_title AS agent_title, d.powers AS powers,
       d.limitations AS limitations,
       (SELECT f.sha256 FROM {_F} f WHERE f.delegation_id = d.id AND f.role = 'principal') AS signed_file_sha256
FROM {_D} d
JOIN {_S} subscriber ON subscriber.id = d.subscriber_id
LEFT JOIN {_D} successor ON successor.id = d.superseded_by_id
WHERE d.delegation_id = %(delegation_id)s AND d.status IN ('active', 'revoked', 'superseded')
"""  # noqa: S608  (table names from the models; the one value is a bound parameter)
FIELDS = tuple(f.name for f in dataclasses.fields(StoredDelegation))


def validity_facts_query(delegation_id: str) -> tuple[str, dict[str, Any]] | None:
    """The read behind :func:`validity_facts` as ``(sql, params)``, for a caller that runs it inside a
    larger statement (the validity service records its audit event in the same statement); None
    when the text is not a delegation ID at all. Turn a row into facts with :func:`stored_from_row`."""
    try:
        canonical = delegation_ids.parse(delegation_id)
    except delegation_ids.DelegationIdError:
        return None
    return canonical_facts_query(canonical)


def canonical_facts_query(canonical: str) -> tuple[str, dict[str, Any]]:
    """:func:`validity_facts_query` for an ID its caller already parsed (canonical form): the
    validity answer parses the typed ID once, to say what is wrong with it, and not again here."""
    return VALIDITY_FACTS_SQL, {"delegation_id": canonical}


def stored_from_row(row: dict[str, Any]) -> StoredDelegation | None:
    """Facts from a row of :data:`VALIDITY_FACTS_SQL` (None when nothing was found: an outer join
    gives a row of NULLs). Dates and times are converted as the ORM would (SQLite returns text)."""
    if row.get("delegation_id") is None:
        return None
    return StoredDelegation(
        delegation_id=row["delegation_id"],
        valid_from=_date(row["valid_from"]),
        valid_until=_date(row["valid_until"]),
        revoked_at=_moment(row["revoked_at"]),
        superseded_by=row["superseded_by"] or None,
        superseded_at=_moment(row["superseded_at"]),
        principal_name=row["principal_name"],
        principal_corporate_number=row["principal_corporate_number"] or "",
        agent_name=row["agent_name"],
        agent_title=row["agent_title"],
        powers=row["powers"],
        limitations=row["limitations"],
        signed_file_sha256=row["signed_file_sha256"] or "",
    )


def _date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _moment(value: Any) -> datetime | None:
    """An aware datetime (SQLite gives naive UTC, as a datetime or as text)."""
    if value is None:
        return None
    moment = value if isinstance(value, datetime) else parse_datetime(str(value))
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def validity_facts(delegation_id: str) -> StoredDelegation | None:
    """One query (indexed by canonical ID); None for drafts, submissions never activated and unknown IDs."""
    query = validity_facts_query(delegation_id)
    if query is None:
        return None
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute(*query)
        row = cursor.fetchone()
        names = [column[0] for column in cursor.description or ()]
    return stored_from_row(dict(zip(names, row, strict=True))) if row is not None else None
