from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from audit.models import AuditEvent
from registry.models import RegistryEvidence, Subscriber, SubscriberFacts

from .conftest import apply

pytestmark = pytest.mark.django_db


def terminated(member, *, years_ago: float) -> Subscriber:
    subscriber = apply(member)
    Subscriber.objects.filter(pk=subscriber.pk).update(
        status=Subscriber.Status.TERMINATED,
        terminated_on=timezone.localdate() - timedelta(days=int(365.25 * years_ago)),
    )
    return subscriber


def test_application_records_are_anonymised_ten_years_after_the_contract_ended(
    subscriber_member, other_subscriber_member
):
    old = terminated(subscriber_member, years_ago=10.1)
    recent = terminated(other_subscriber_member, years_ago=9.9)

    out = io.StringIO()
    call_command("apply_retention", "--dry-run", "--kind", "registry.application", stdout=out)
    assert SubscriberFacts.objects.filter(subscriber=old).exclude(representative_name="").exists()

    call_command("apply_retention", "--kind", "registry.application", stdout=io.StringIO())
    facts = SubscriberFacts.objects.get(subscriber=old)
    assert facts.representative_name == "" and facts.representative_birth_date is None
    assert all(bytes(e.content) == b"" for e in RegistryEvidence.objects.filter(facts=facts))
    assert SubscriberFacts.objects.get(subscriber=recent).representative_name == "山田 太郎"
    assert Subscriber.objects.filter(pk=old.pk).exists()  # the subscriber and its public ID remain
    assert AuditEvent.objects.filter(event_type="retention.anonymised").exists()
