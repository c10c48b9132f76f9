"""Delegation IDs, reception numbers and the principal's corporate number (法人番号) on a
recipient's pages are marked up as identifiers (``mynatrust.lib.identifiers``), as on the
subscriber's: never translated, one item to read, select and copy."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from mynatrust.lib import delegation_id as ids
from mynatrust.tests.identifier_markup import assert_only_marked, speak
from validity.models import RecipientOrganisation

from .conftest import facts
from .test_portal import REGISTRATION

pytestmark = pytest.mark.django_db

LANGUAGES = ["ja", "en"]
BROWSER = "text/html,application/xhtml+xml"


def get(client: Any, address: str, language: str, **headers: Any) -> str:
    response = client.get(address, **headers)
    assert response.status_code == 200, address
    html = response.content.decode()
    assert f'<html lang="{language}">' in html
    return html


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_result_and_the_history_mark_up_the_id(client, settings, recipient, organisation, stored, language):
    delegation_id = ids.generate()
    stored(facts(delegation_id))
    client.force_login(recipient)
    speak(client, settings, language)
    result = client.post(reverse("validity:check"), {"delegation_id": delegation_id})["Location"]
    assert_only_marked(get(client, result, language), delegation_id, facts(delegation_id).principal_corporate_number)
    assert_only_marked(get(client, reverse("validity:history"), language), delegation_id)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_printed_url_and_the_public_check_mark_up_the_id(client, settings, language):
    settings.VALIDITY_ANONYMOUS_QUERIES = True
    delegation_id = ids.generate()
    speak(client, settings, language)
    address = reverse("validity_api:validity", kwargs={"delegation_id": delegation_id})
    assert_only_marked(get(client, address, language, HTTP_ACCEPT=BROWSER), delegation_id)
    answer = client.post(reverse("validity:anonymous_check"), {"delegation_id": delegation_id})
    assert answer.status_code == 200
    assert_only_marked(answer.content.decode(), delegation_id)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_registration_pages_mark_up_the_reception_number(client, settings, recipient, language):
    client.force_login(recipient)
    speak(client, settings, language)
    done = client.post(reverse("validity:register"), REGISTRATION)["Location"]
    number = RecipientOrganisation.objects.get().reception_number
    assert_only_marked(get(client, done, language), number)
    assert_only_marked(get(client, reverse("validity:home"), language), number)
