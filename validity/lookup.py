"""The one seam between the validity service and stored delegations.

Arrows run validity → delegations, never back: this reads the delegations app's own query, one
indexed read by canonical delegation ID, on the primary database so that a revocation or an update
is answered the moment it commits. Drafts, submissions never activated and unknown IDs give None,
which answers ``unknown``.
"""

from __future__ import annotations

import dataclasses

from delegations.queries import validity_facts
from validity.answer import DelegationFacts


def find_delegation(delegation_id: str) -> DelegationFacts | None:
    """The facts of the delegation with this canonical ID (``XXXX-XXXX-XXXX-XX``), or None."""
    stored = validity_facts(delegation_id)
    return DelegationFacts(**dataclasses.asdict(stored)) if stored is not None else None
