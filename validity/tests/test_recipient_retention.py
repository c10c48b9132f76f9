"""Retention of recipient registrations (§5.2 as applications under §6.2.9; §2.8(10)): 10 years
after the registration ended (suspended; a rejected one from its receipt), the personal data in it
is erased, a sole proprietor's date of birth, trade name and business address included."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from audit.models import AuditEvent
from validity.models import RecipientOrganisation

pytestmark = pytest.mark.django_db


def organisation(status: str, *, years: float, kind: str = "sole_proprietor") -> RecipientOrganisation:
    at = timezone.now() - timedelta(days=int(365.25 * years))
    return RecipientOrganisation.objects.create(
        kind=kind,
        name="みなと商店",
        address="東京都港区芝公園一丁目2番3号",
        representative_name="港 一郎",
        representative_address="東京都港区芝公園一丁目2番3号",
        representative_date_of_birth=date(1970, 4, 1) if kind == "sole_proprietor" else None,
        declarant_name="港 一郎",
        status=status,
        created_at=at,
        decided_at=at,
    )


def apply() -> None:
    call_command("apply_retention", "--kind", "validity.recipient_organisation", stdout=io.StringIO())


def test_ten_years_after_a_suspension_the_personal_data_is_erased():
    old = organisation("suspended", years=10.1)
    corporation = organisation("rejected", years=10.1, kind="corporation")
    recent = organisation("suspended", years=9.9)
    approved = organisation("approved", years=30)
    apply()
    old.refresh_from_db()
    assert old.representative_name == old.declarant_name == old.name == old.address == ""
    assert old.representative_date_of_birth is None and old.public_id
    corporation.refresh_from_db()
    assert corporation.representative_name == "" and corporation.name == "みなと商店"  # a company name is kept
    for kept in (recent, approved):
        kept.refresh_from_db()
        assert kept.representative_name == "港 一郎" and kept.representative_date_of_birth == date(1970, 4, 1)
    event = AuditEvent.objects.get(event_type="retention.anonymised")
    assert sorted(event.data["ids"]) == sorted([old.public_id, corporation.public_id])
