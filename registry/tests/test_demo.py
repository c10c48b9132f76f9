from __future__ import annotations

import io

import pytest
from django.core.management.base import BaseCommand

from conftest import make_staff, make_user
from registry import demo
from registry.models import CorporateRecord, Subscriber

pytestmark = pytest.mark.django_db


def test_the_demo_data_is_created_once_and_matches_the_story(settings):
    make_user("subscriber@demo.mynatrust.example.jp", "subscriber")
    make_staff("reception", "reception@demo.mynatrust.example.jp")
    command = BaseCommand(stdout=io.StringIO())
    demo.setup(command)
    demo.setup(command)
    assert Subscriber.objects.count() == 4
    sole = Subscriber.objects.get(kind="sole_proprietor")
    facts = sole.current_facts
    assert sole.may_submit() and facts is not None and not facts.evidence.exists()
    active = Subscriber.objects.get(corporate_number=demo.DEMO_CORPORATE_NUMBER)
    assert active.may_submit()
    assert active.registered_representative() == demo.DEMO_REPRESENTATIVE
    pending = Subscriber.objects.get(corporate_number=demo.PENDING_CORPORATE_NUMBER)
    assert pending.status == "applied"
    assert pending.facts.get().nta_check["findings"] == ["address_differs"]
    returned = Subscriber.objects.get(corporate_number=demo.RETURNED_CORPORATE_NUMBER)
    assert returned.status == "returned" and returned.facts.get().decision_reason == demo.RETURNED_REASON
    assert CorporateRecord.objects.count() == len(demo.RECORDS)
    assert "applicant@demo.mynatrust.example.jp" in command.stdout.getvalue()
