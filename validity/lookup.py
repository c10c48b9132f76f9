"""The one seam between the validity service and stored delegations.

Arrows run validity → delegations, never back: the delegations app owns the read (one indexed
query by canonical delegation ID, on the primary database, so that a revocation or an update is
answered the moment it commits). Drafts, submissions never activated and unknown IDs give None,
which answers ``unknown``.

A query is answered and recorded in one statement: :func:`reading` wraps that read with the status
and the digest comparison written in SQL, which the audit log computes into the query's event as
the row is read (``audit.record_reading``). :data:`STATUS_SQL` is the SQL twin of
:func:`validity.answer.status_at`; the tests hold the two equal around every edge, and
``services.answer_query`` compares them on every answer.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import DEFAULT_DB_ALIAS, connections

from audit import Reading
from delegations.queries import canonical_facts_query, stored_from_row, validity_facts
from validity.answer import JST, DelegationFacts

if TYPE_CHECKING:
    from validity.auth import KeyGuard

# The period is a pair of calendar dates in Japan, inclusive: compared with the day in Japan of the
# instant checked, it is exactly answer.status_at's comparison with the first instant of each day.
STATUS_SQL = """CASE
    WHEN found.delegation_id IS NULL THEN 'unknown'
    WHEN found.revoked_at IS NOT NULL AND found.revoked_at <= %(checked_at)s THEN 'revoked'
    WHEN COALESCE(found.superseded_by, '') <> ''
         AND (found.superseded_at IS NULL OR found.superseded_at <= %(checked_at)s) THEN 'superseded'
    WHEN %(checked_on)s < found.valid_from THEN 'not_yet_valid'
    WHEN %(checked_on)s > found.valid_until THEN 'expired'
    ELSE 'valid'
END"""
DIGEST_MATCH_SQL = """CASE
    WHEN found.delegation_id IS NULL OR CAST(%(digest)s AS TEXT) IS NULL THEN NULL
    ELSE LOWER(found.signed_file_sha256) = CAST(%(digest)s AS TEXT)
END"""


_FIELDS = [field.name for field in dataclasses.fields(DelegationFacts)]


def _facts(stored: Any) -> DelegationFacts | None:
    return DelegationFacts(**{name: getattr(stored, name) for name in _FIELDS}) if stored is not None else None


def find_delegation(delegation_id: str) -> DelegationFacts | None:
    """The facts of the delegation with this canonical ID (``XXXX-XXXX-XXXX-XX``), or None."""
    return _facts(validity_facts(delegation_id))


_FIELDS_SQL = {"status": (STATUS_SQL, str), "digest_match": (DIGEST_MATCH_SQL, bool)}


def reading(delegation_id: str, *, checked_at: datetime, digest: str | None, guard: KeyGuard | None = None) -> Reading:
    """The read of one delegation ID in canonical form (as :func:`validity.answer.parse_delegation_id`
    returns it: not parsed again here), with ``status`` and ``digest_match`` computed for the
    instant ``checked_at`` and the digest the caller holds (lower-case hex, or None). With
    ``guard``, the event is appended only while the key is still usable at ``checked_at``."""
    sql, params = canonical_facts_query(delegation_id)
    ops = connections[DEFAULT_DB_ALIAS].ops
    params["checked_at"] = ops.adapt_datetimefield_value(checked_at)
    params["checked_on"] = ops.adapt_datefield_value(checked_at.astimezone(JST).date())
    params["digest"] = digest
    if guard is None:
        return Reading(sql=sql, params=params, fields=_FIELDS_SQL)
    params.update(guard.params(at=checked_at, ops=ops))
    return Reading(sql=sql, params=params, fields=_FIELDS_SQL, guard=guard.sql)


def facts_from(row: dict[str, Any]) -> DelegationFacts | None:
    """The facts in a row read through :func:`reading` (None when nothing was found)."""
    return _facts(stored_from_row(row))
