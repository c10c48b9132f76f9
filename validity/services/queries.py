"""Validity queries (§5.3): each answered and recorded, the enumeration of unknown IDs counted, and a
form check's answer kept for the organisation that made it.

The answer is the service's busiest path: :func:`answer_query` is cut into named steps that build
nothing twice (the reading with its key guard is made once, the event's values once).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils import timezone

import audit
from audit import context as audit_context
from kernel import Actor
from validity import answer, auth, lookup, ratelimit
from validity.answer import DelegationFacts, Status, ValidityError
from validity.models import CheckResult, RecipientOrganisation

if TYPE_CHECKING:
    from mynatrust.models import User

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Query:
    """What was asked and what the service answered."""

    delegation_id: str
    status: Status
    document: dict[str, Any]
    facts: DelegationFacts | None


def answer_query(
    typed_id: str,
    *,
    sha256: str | None,
    organisation: RecipientOrganisation | None,
    actor: Actor,
    channel: str,
    guard: auth.KeyGuard | None = None,
    declared_only: bool = False,
) -> Query:
    """Answer one validity query and record it (who, which ID, the answer, the digest match).

    On PostgreSQL the delegation's read and the query's audit event are one statement, in
    autocommit (:func:`validity.lookup.reading`): the event costs no round trip of its own and no
    transaction is opened on the hottest path of the service. The event's status is computed by the
    database; the answer's by :func:`validity.answer.status_at` — should they ever differ, the
    answer stands and a ``validity.query_mismatch`` event says so. A malformed ID or digest is
    recorded too, then raised as :class:`ValidityError` (400).

    With ``guard`` (an API key the caller kept), the database confirms in that same statement that
    the key is still usable; if it is not, nothing is recorded or answered and
    :class:`validity.auth.KeyNoLongerUsable` is raised (on the malformed path the key is read again
    before anything is recorded). ``declared_only``: the ID in one of the forms the API declares.
    """
    who = _who(organisation)
    delegation_id, digest = _parsed(typed_id, sha256, declared_only, guard=guard, actor=actor, channel=channel, who=who)
    checked_at = timezone.now()
    row, event_id = _read_and_record(
        delegation_id, digest, checked_at, guard=guard, actor=actor, channel=channel, who=who
    )
    facts = lookup.facts_from(row)
    document = answer.build_answer(
        delegation_id, facts, checked_at=checked_at, issuer=settings.SERVICE_BASE_URL, sha256=digest
    )
    status = Status(document["status"])
    _compare_with_record(delegation_id, row, status, document.get("digest_match"), event_id)
    if status is Status.UNKNOWN:
        _count_unknown(organisation, actor=actor, channel=channel)
    return Query(delegation_id=delegation_id, status=status, document=document, facts=facts)


def _who(organisation: RecipientOrganisation | None) -> dict[str, Any]:
    """The asking organisation as the query's event names it."""
    if organisation is None:
        return {"organisation": None, "organisation_id": None}
    return {"organisation": organisation.name, "organisation_id": organisation.public_id}


def _parsed(
    typed_id: str,
    sha256: str | None,
    declared_only: bool,
    *,
    guard: auth.KeyGuard | None,
    actor: Actor,
    channel: str,
    who: dict[str, Any],
) -> tuple[str, str | None]:
    """The canonical ID and the digest asked about; a malformed one is recorded, then raised (a
    guarded key read again first: an error is given only to a key still usable)."""
    try:
        return answer.parse_delegation_id(typed_id, declared_only=declared_only), answer.parse_sha256(sha256)
    except ValidityError as exc:
        if guard is not None and guard.confirm() is None:
            raise auth.KeyNoLongerUsable(read_again=True) from exc
        audit.record(
            "validity.query",
            actor=actor,
            channel=channel,
            status="malformed",
            code=exc.code,
            typed=typed_id[:64],
            **who,
        )
        raise


def _read_and_record(
    delegation_id: str,
    digest: str | None,
    checked_at: datetime,
    *,
    guard: auth.KeyGuard | None,
    actor: Actor,
    channel: str,
    who: dict[str, Any],
) -> tuple[dict[str, Any], int]:
    """The delegation's row and the id of the query's event, read and appended in one statement."""
    row, event_id = audit.record_reading(
        "validity.query",
        actor=actor,
        subject=("delegations.delegation", delegation_id),
        reading=lookup.reading(delegation_id, checked_at=checked_at, digest=digest, guard=guard),
        at=checked_at,
        channel=channel,
        delegation_id=delegation_id,
        digest_given=digest is not None,
        **who,
    )
    if event_id is None:  # the guard did not hold: nothing was recorded
        raise auth.KeyNoLongerUsable
    return row, event_id


def _compare_with_record(
    delegation_id: str, row: dict[str, Any], status: Status, digest_match: bool | None, event_id: int
) -> None:
    """Record a ``validity.query_mismatch`` should the database's verdict differ from the answer's."""
    if row["status"] == status.value and row["digest_match"] == digest_match:
        return
    log.error("validity query %s: recorded %s, answered %s", delegation_id, row["status"], status.value)
    audit.record(
        "validity.query_mismatch",
        actor=audit.SYSTEM,
        subject=("delegations.delegation", delegation_id),
        event_id=event_id,
        recorded={"status": row["status"], "digest_match": row["digest_match"]},
        answered={"status": status.value, "digest_match": digest_match},
    )


@lru_cache(maxsize=8)
def _unknown_limit(text: str) -> ratelimit.Rate:
    return ratelimit.Rate.parse(text)


def _count_unknown(organisation: RecipientOrganisation | None, *, actor: Actor, channel: str) -> None:
    ident = organisation.public_id if organisation else f"ip:{audit_context.current().ip}"
    # Counted through this process's leases (ratelimit.take), as the API counts keys: most unknown
    # answers cost no round trip to Redis, and all processes together never count more than the limit.
    if ratelimit.take([("unknown", ident, _unknown_limit(settings.VALIDITY_UNKNOWN_LIMIT))]) is None:
        return
    seconds = settings.VALIDITY_UNKNOWN_PENALTY_SECONDS
    if ratelimit.impose("unknown", ident, seconds):
        # For the service administrator's security monitoring: possible enumeration of IDs.
        audit.record(
            "validity.enumeration_suspected",
            actor=actor,
            subject=organisation,
            organisation=organisation.name if organisation else None,
            channel=channel,
            limit=settings.VALIDITY_UNKNOWN_LIMIT,
            penalty_seconds=seconds,
        )


def keep_check_result(
    query: Query,
    *,
    organisation: RecipientOrganisation,
    actor: User,
    signed_record: str = "",
    file_name: str = "",
    file_size: int | None = None,
    file_sha256: str = "",
) -> CheckResult:
    """Keep a form check's answer for the organisation's history. The query itself was recorded in
    the audit log when it was answered (``validity.query``); this row is the recipient's copy."""
    return CheckResult.objects.create(
        organisation=organisation,
        checked_by=actor,
        checked_at=datetime.fromisoformat(query.document["checked_at"]),
        delegation_id=query.delegation_id,
        status=query.status.value,
        answer=query.document,
        signed_record=signed_record,
        file_name=file_name[:200],
        file_size=file_size,
        file_sha256=file_sha256,
    )


def record_result_printed(kept: CheckResult, *, actor: Actor) -> None:
    """A kept result was taken out as PDF (who took which answer out, and when)."""
    audit.record(
        "validity.check_result.printed",
        actor=actor,
        subject=kept.organisation,
        delegation_id=kept.delegation_id,
        checked_at=kept.answer.get("checked_at"),
    )
