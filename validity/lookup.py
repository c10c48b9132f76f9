"""The one seam between the validity service and stored delegations.

The delegations issue fills in :func:`find_delegation` by reading its own model (arrows run
validity → delegations, never back): one indexed read by canonical delegation ID returning a
:class:`validity.answer.DelegationFacts` built from the stored signed file's facts, or None when no
delegation with that ID was ever activated (drafts, rejected submissions and unknown IDs all answer
``unknown``). Until then nothing is stored, and every ID is unknown.
"""

from __future__ import annotations

from validity.answer import DelegationFacts


def find_delegation(delegation_id: str) -> DelegationFacts | None:
    """The facts of the delegation with this canonical ID (``XXXX-XXXX-XXXX-XX``), or None."""
    return None
