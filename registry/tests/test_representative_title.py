"""The representative's title is part of a corporation's basic information (§3.1.1 代表者の肩書) and
of every delegation it makes (§4.1.4 Table 4-1 代表者の肩書き): a corporation applies, changes its
facts and is approved only with one. A sole proprietor has none to give."""

from __future__ import annotations

import pytest

from audit.models import AuditEvent
from conftest import make_user
from registry.forms import ApplicationForm
from registry.models import Subscriber
from registry.services import RegistryError
from registry.tests.conftest import FACTS, apply, corporate_number

pytestmark = pytest.mark.django_db


def test_a_corporation_cannot_apply_without_the_representatives_title_and_the_refusal_is_audited():
    member = make_user("member@example.jp", "subscriber")
    with pytest.raises(RegistryError) as err:
        apply(member, representative_title="")
    assert err.value.code == "title_missing"
    assert not Subscriber.objects.exists()
    assert AuditEvent.objects.filter(event_type="registry.subscriber.apply_refused").exists()


def test_the_application_form_asks_a_corporation_for_the_title():
    data = {**FACTS, "kind": "corporation", "corporate_number": corporate_number(), "representative_title": ""}
    form = ApplicationForm(data=data)
    assert not form.is_valid()
    assert "代表者の肩書" in str(form.errors["representative_title"])


def test_a_sole_proprietor_applies_without_a_title():
    member = make_user("member@example.jp", "subscriber")
    subscriber = apply(
        member,
        kind="sole_proprietor",
        number="",
        representative_title="",
        representative_birth_date="1980-01-02",
    )
    assert subscriber.kind == "sole_proprietor"


def test_reception_cannot_approve_a_corporation_without_a_title(reception):
    from registry.models import SubscriberFacts
    from registry.tests.conftest import approve

    subscriber = apply(make_user("member@example.jp", "subscriber"))
    SubscriberFacts.objects.filter(pk=subscriber.open_facts.pk).update(representative_title="")  # older data
    subscriber.refresh_from_db()
    with pytest.raises(RegistryError) as err:
        approve(subscriber, reception)
    assert err.value.code == "title_missing"
    assert AuditEvent.objects.filter(event_type="registry.facts.approve_refused").exists()
