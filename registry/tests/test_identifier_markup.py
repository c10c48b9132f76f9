"""Reception numbers on the subscriber's registry pages are marked up as identifiers
(``mynatrust.lib.identifiers``): a number a person quotes is never translated and is copied whole."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from mynatrust.tests.identifier_markup import assert_only_marked, speak

pytestmark = pytest.mark.django_db

LANGUAGES = ["ja", "en"]


def get(client: Any, name: str, language: str) -> str:
    response = client.get(reverse(f"registry:{name}"))
    assert response.status_code == 200, name
    html = response.content.decode()
    assert f'<html lang="{language}">' in html
    return html


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_receipt_of_a_pending_application_marks_up_its_number(
    client, settings, subscriber_member, applied, language
):
    client.force_login(subscriber_member)
    speak(client, settings, language)
    assert_only_marked(get(client, "home", language), applied.reception_number)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_history_of_the_registration_marks_up_each_number(client, settings, subscriber_member, active, language):
    client.force_login(subscriber_member)
    speak(client, settings, language)
    assert_only_marked(get(client, "info", language), active.reception_number)
