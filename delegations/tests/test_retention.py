"""Retention of delegations, signed files and the agents' certificate data (§6.2.9, §2.8(10)):
kept 10 years from the end of the delegation's period (or from when it stopped, if later), a
rejected one from its receipt; then the personal data is erased and the erasure recorded."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from delegations.models import Delegation, SignedFile
from delegations.tests.lifecycle import events, make_active

pytestmark = pytest.mark.django_db

KINDS = ("delegations.delegation", "delegations.signed_file", "delegations.agent_certificate")


def years_ago(years: float) -> timedelta:
    return timedelta(days=int(365.25 * years))


def ended(delegation: Delegation, *, years: float, **fields: object) -> Delegation:
    """Move the delegation's period back so that it ended ``years`` ago."""
    end = timezone.localdate() - years_ago(years)
    Delegation.objects.filter(pk=delegation.pk).update(valid_from=end - timedelta(days=365), valid_until=end, **fields)
    delegation.refresh_from_db()
    return delegation


def apply() -> None:
    args = [arg for kind in KINDS for arg in ("--kind", kind)]
    call_command("apply_retention", *args, stdout=io.StringIO())


def erased(delegation: Delegation) -> bool:
    delegation.refresh_from_db()
    return delegation.agent_name == "" and delegation.xml is None


def test_ten_years_after_its_period_a_delegation_its_files_and_certificates_lose_their_personal_data(
    subscriber, member, trusted_pki
):
    old = ended(make_active(subscriber, member, trusted_pki), years=10.1)
    recent = ended(make_active(subscriber, member, trusted_pki, agent_identifier="A-002"), years=9.9)
    out = io.StringIO()
    call_command("apply_retention", "--dry-run", *[a for k in KINDS for a in ("--kind", k)], stdout=out)
    assert not erased(old)  # a dry run changes nothing
    apply()
    assert erased(old)
    assert old.delegation_id and old.xml_sha256 and old.status == Delegation.Status.ACTIVE  # still resolves
    assert old.principal_name == "" and old.powers == "" and old.pdf is None and old.acceptance_pdf is None
    for signed in SignedFile.objects.filter(delegation=old):
        assert bytes(signed.data) == b"" and signed.size == 0 and signed.report == {} and signed.sha256
        assert signed.signer_name == signed.signer_address == signed.signer_birth_date == ""
        assert bytes(signed.signer_certificate_der) == b""
    assert not erased(recent)
    kept = SignedFile.objects.filter(delegation=recent)
    assert all(f.size > 0 and f.signer_name for f in kept)
    recorded = {e.subject_id: e.data for e in events("retention.anonymised")}
    assert recorded["delegations.delegation"]["ids"] == [old.delegation_id]
    assert sorted(recorded["delegations.agent_certificate"]["ids"]) == [
        f"{old.delegation_id}/agent",
        f"{old.delegation_id}/principal",
    ]
    assert recorded["delegations.signed_file"]["count"] == 2


def test_a_delegation_revoked_after_its_period_counts_from_the_revocation(subscriber, member, trusted_pki):
    delegation = make_active(subscriber, member, trusted_pki)
    ended(delegation, years=10.5, status=Delegation.Status.REVOKED, revoked_at=timezone.now() - years_ago(9.9))
    apply()
    assert not erased(delegation)
    Delegation.objects.filter(pk=delegation.pk).update(revoked_at=timezone.now() - years_ago(10.1))
    apply()
    assert erased(delegation)


def test_a_rejected_delegation_counts_from_its_receipt(subscriber, member, trusted_pki):
    old, recent = (make_active(subscriber, member, trusted_pki, agent_identifier=n) for n in ("A-1", "A-2"))
    for delegation, years in ((old, 10.1), (recent, 9.9)):
        Delegation.objects.filter(pk=delegation.pk).update(
            status=Delegation.Status.REJECTED, submitted_at=timezone.now() - years_ago(years)
        )
    apply()
    assert erased(old) and not erased(recent)


def test_a_delegation_still_in_its_period_is_never_touched(subscriber, member, trusted_pki):
    delegation = make_active(subscriber, member, trusted_pki)
    Delegation.objects.filter(pk=delegation.pk).update(activated_at=timezone.now() - years_ago(20))
    apply()
    assert not erased(delegation)
    assert not events("retention.anonymised")
