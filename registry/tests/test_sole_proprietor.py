"""A sole proprietor applies without a registry certificate (§3.1, §3.1.3: registries are checked
for corporations and 団体 only); the representative is identified later by their own JPKI signature
and basic four items."""

from __future__ import annotations

from datetime import date

import pytest

from conftest import make_staff
from registry import services
from registry.models import RegistryEvidence, Subscriber

from .conftest import FACTS, evidence_input

pytestmark = pytest.mark.django_db

SOLE = {
    **FACTS,
    "organisation_name": "やまだ商店",
    "address": "東京都港区芝公園一丁目2番3号",  # 事業所住所
    "representative_title": "",
    "representative_address": "東京都世田谷区太子堂四丁目5番6号",  # 現住所
    "representative_birth_date": date(1970, 4, 1),
}


def _apply(user, *, kind="sole_proprietor", evidence=None, facts=SOLE):
    return services.apply_for_registration(
        actor=user,
        kind=kind,
        corporate_number="",
        facts=dict(facts),
        evidence=evidence,
        terms_accepted=True,
        antisocial_declared=True,
    )


def test_a_sole_proprietor_applies_without_a_registry_certificate(subscriber_member):
    subscriber = _apply(subscriber_member)
    assert subscriber.kind == Subscriber.Kind.SOLE_PROPRIETOR
    assert not RegistryEvidence.objects.exists()


def test_reception_approves_a_sole_proprietor_without_registry_evidence(subscriber_member):
    subscriber = _apply(subscriber_member)
    reception = make_staff("reception", "rc@staff.example.jp")
    facts = services.approve_facts(
        subscriber.open_facts,
        actor=reception,
        company_registry_number="",
        registered_representative_name="",
        registered_representative_address="",
    )
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE
    # The person the JPKI signature must match: the declared name and home address (§3.1.1).
    assert subscriber.registered_representative() == (SOLE["representative_name"], SOLE["representative_address"])
    assert facts.state == "approved"


def test_a_corporation_still_needs_registry_evidence(subscriber_member):
    with pytest.raises(services.RegistryError) as excinfo:
        services.apply_for_registration(
            actor=subscriber_member,
            kind="corporation",
            corporate_number="",
            facts=dict(FACTS),
            evidence=None,
            terms_accepted=True,
            antisocial_declared=True,
        )
    assert excinfo.value.code in {"corporate_number_missing", "evidence_missing"}
    assert not Subscriber.objects.exists()


def test_the_application_form_does_not_ask_a_sole_proprietor_for_a_certificate():
    from registry.forms import ApplicationForm

    data = {
        "kind": "sole_proprietor",
        **{k: ("" if v is None else str(v)) for k, v in SOLE.items()},
        "terms_accepted": "on",
        "antisocial_declared": "on",
    }
    form = ApplicationForm(data=data, files={})
    form.is_valid()
    assert "evidence_file" not in form.errors


def test_a_sole_proprietor_may_still_attach_a_business_address_document(subscriber_member):
    _apply(subscriber_member, evidence=evidence_input())
    assert RegistryEvidence.objects.count() == 1
