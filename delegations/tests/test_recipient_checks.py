"""The subscriber sees which recipient organisations checked a delegation, and when (§5)."""

from __future__ import annotations

import pytest

import audit
from delegations import queries

from .lifecycle import make_active

pytestmark = pytest.mark.django_db


def test_the_detail_page_lists_the_recipients_that_checked_the_delegation(client, member, subscriber, trusted_pki):
    delegation = make_active(subscriber, member, trusted_pki)
    other = make_active(subscriber, member, trusted_pki)
    audit.record(
        "validity.query",
        actor=None,
        subject=("delegations.delegation", delegation.delegation_id),
        delegation_id=delegation.delegation_id,
        status="valid",
        digest_match=True,
        organisation="株式会社受領商事",
    )
    audit.record(
        "validity.query",
        actor=None,
        subject=("delegations.delegation", other.delegation_id),
        status="valid",
        organisation="別の確認者株式会社",
    )
    checks = queries.recipient_checks(delegation)
    assert [(c.organisation, c.status, c.digest_match) for c in checks] == [("株式会社受領商事", "valid", True)]

    client.force_login(member)
    body = client.get(f"/app/delegations/{delegation.public_id}/").content.decode()
    assert "有効性の確認履歴" in body and "株式会社受領商事" in body
    assert "別の確認者株式会社" not in body
