"""A 団体 (association) applies only as a registered body (§3.1, §3.1.2, §3.1.3, Table 4-1 of
§4.1.4): the rules confirm a 法人または団体 only through its registry, and describe a principal that
is not a natural person only as a 法人 with its 法人番号. One without registration is refused and
told why (docs/rules-conformance.md, "A 団体 without a corporate number")."""

from __future__ import annotations

import pytest

from registry import services
from registry.models import Subscriber

from .conftest import FACTS, apply, events
from .test_application import URL, form_data, nothing_stored

pytestmark = pytest.mark.django_db

ASSOCIATION = {**FACTS, "organisation_name": "みなと町内会", "representative_title": "会長"}


def test_an_association_without_a_corporate_number_is_refused_and_told_why(client, subscriber_member):
    client.force_login(subscriber_member)
    response = client.post(
        URL, form_data(corporate_number="", organisation_name="みなと町内会", representative_title="会長")
    )
    assert response.status_code == 200
    message = " ".join(response.context["form"].errors["corporate_number"])
    assert "登記のない団体" in message and "3.1.3" in message
    assert nothing_stored()


def test_the_form_says_how_an_association_applies(client, subscriber_member):
    client.force_login(subscriber_member)
    page = client.get(URL).content.decode()
    assert "法人・団体は必須です" in page
    assert "登記された団体" in page


def test_the_service_refuses_an_association_without_a_corporate_number_and_records_it(subscriber_member):
    with pytest.raises(services.RegistryError) as refused:
        apply(subscriber_member, number="", **ASSOCIATION)
    assert "登記のない団体" in str(refused.value.message)
    assert not Subscriber.objects.exists()
    refusal = events("registry.subscriber.apply_refused")[-1]
    assert refusal.data["code"] == "corporate_number_missing" and refusal.data["refused"] is True


def test_a_registered_association_applies_like_a_corporation(subscriber_member):
    subscriber = apply(subscriber_member, **ASSOCIATION)
    assert subscriber.kind == Subscriber.Kind.CORPORATION and subscriber.corporate_number
    assert subscriber.open_facts.evidence.exists()
