from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from audit.models import AuditEvent
from registry.models import RegistryEvidence, Subscriber, SubscriberFacts

from .conftest import apply, corporate_number

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


def test_a_contract_that_lapsed_without_renewal_starts_the_clock_at_its_end(subscriber_member, other_subscriber_member):
    # §6.2.9: records of a contract are kept 10 years from its expiry, whether or not it was terminated.
    day = timezone.localdate()
    old = apply(subscriber_member)
    Subscriber.objects.filter(pk=old.pk).update(
        status=Subscriber.Status.ACTIVE, contract_end=day - timedelta(days=int(365.25 * 10.1))
    )
    recent = apply(other_subscriber_member, number=corporate_number("010401054321"))
    Subscriber.objects.filter(pk=recent.pk).update(
        status=Subscriber.Status.ACTIVE, contract_end=day - timedelta(days=int(365.25 * 9.9))
    )
    call_command("apply_retention", "--kind", "registry.application", stdout=io.StringIO())
    assert SubscriberFacts.objects.get(subscriber=old).representative_name == ""
    assert SubscriberFacts.objects.get(subscriber=recent).representative_name == "山田 太郎"


def test_a_rejected_application_is_kept_ten_years_from_its_receipt(subscriber_member, other_subscriber_member):
    # §6.2.9: a record without a contract period is kept 10 years from the day it was received.
    now = timezone.now()
    old = apply(subscriber_member)
    Subscriber.objects.filter(pk=old.pk).update(
        status=Subscriber.Status.REJECTED, applied_at=now - timedelta(days=int(365.25 * 10.1))
    )
    recent = apply(other_subscriber_member)
    Subscriber.objects.filter(pk=recent.pk).update(
        status=Subscriber.Status.REJECTED, applied_at=now - timedelta(days=int(365.25 * 9.9))
    )
    call_command("apply_retention", "--kind", "registry.application", stdout=io.StringIO())
    assert SubscriberFacts.objects.get(subscriber=old).representative_name == ""
    assert SubscriberFacts.objects.get(subscriber=recent).representative_name == "山田 太郎"
    assert Subscriber.objects.filter(pk=old.pk).exists()


def test_a_live_contract_is_never_due_however_old_the_application(subscriber_member):
    subscriber = apply(subscriber_member)
    Subscriber.objects.filter(pk=subscriber.pk).update(
        status=Subscriber.Status.ACTIVE,
        applied_at=timezone.now() - timedelta(days=365 * 12),
        contract_end=timezone.localdate() + timedelta(days=100),
    )
    call_command("apply_retention", "--kind", "registry.application", stdout=io.StringIO())
    assert SubscriberFacts.objects.get(subscriber=subscriber).representative_name == "山田 太郎"


def test_an_application_whose_contract_end_moved_after_the_run_listed_it_is_kept_and_not_counted(
    subscriber_member, other_subscriber_member, after_retention_lists
):
    day = timezone.localdate()
    lapsed = {"status": Subscriber.Status.ACTIVE, "contract_end": day - timedelta(days=int(365.25 * 10.1))}
    moved = apply(subscriber_member)
    Subscriber.objects.filter(pk=moved.pk).update(**lapsed)
    old = apply(other_subscriber_member, number=corporate_number("010401054321"))
    Subscriber.objects.filter(pk=old.pk).update(**lapsed)
    # The contract's end is corrected once the run has listed both and before it anonymises them.
    after_retention_lists(lambda: Subscriber.objects.filter(pk=moved.pk).update(contract_end=day + timedelta(days=100)))

    call_command("apply_retention", "--kind", "registry.application", stdout=io.StringIO())

    kept = SubscriberFacts.objects.get(subscriber=moved)
    assert kept.representative_name == "山田 太郎"
    assert all(bytes(e.content) != b"" for e in RegistryEvidence.objects.filter(facts=kept))
    anonymised = SubscriberFacts.objects.get(subscriber=old)
    assert anonymised.representative_name == ""
    event = AuditEvent.objects.get(event_type="retention.anonymised")
    assert (event.data["count"], event.data["ids"]) == (1, [f"{old.public_id}/v{anonymised.version}"])
    assert AuditEvent.objects.get(event_type="retention.run").data["applied"] == 1
