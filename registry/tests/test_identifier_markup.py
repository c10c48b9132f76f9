"""Reception numbers and corporate numbers (法人番号) on the subscriber's registry pages and on
reception's pages are marked up as identifiers (``mynatrust.lib.identifiers``): a number a person
quotes is never translated and is copied whole."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from conftest import otp_login
from mynatrust.tests.identifier_markup import assert_only_marked, speak
from registry.models import CorporateRecord

from .conftest import corporate_number

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
    assert_only_marked(get(client, "info", language), active.reception_number, active.corporate_number)


def staff_page(client: Any, address: str, language: str) -> str:
    response = client.get(address)
    assert response.status_code == 200, address
    html = response.content.decode()
    assert f'<html lang="{language}"' in html
    return html


@pytest.mark.parametrize("language", LANGUAGES)
def test_receptions_pages_mark_up_the_corporate_number(client, settings, reception, applied, language):
    otp_login(client, reception)
    speak(client, settings, language)
    pages = [
        reverse("admin:registry_subscriber_review", args=[applied.pk]),
        reverse("admin:registry_subscriber_decide", args=[applied.pk, "approve"]),
        reverse("admin:registry_subscriber_changelist"),
    ]
    for address in pages:
        assert_only_marked(staff_page(client, address, language), applied.corporate_number)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_review_of_an_approved_subscriber_marks_up_the_corporate_number(
    client, settings, reception, active, language
):
    otp_login(client, reception)
    speak(client, settings, language)
    html = staff_page(client, reverse("admin:registry_subscriber_review", args=[active.pk]), language)
    assert 'data-testid="nta-confirmation"' in html
    assert_only_marked(html, active.corporate_number)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_imported_corporate_records_mark_up_their_numbers(client, settings, reception, language):
    number, successor = corporate_number(), corporate_number("011001099999")
    CorporateRecord.objects.create(
        corporate_number=number,
        name="株式会社みなと商事",
        prefecture_name="東京都",
        city_name="港区",
        latest="1",
        successor_corporate_number=successor,
    )
    otp_login(client, reception)
    speak(client, settings, language)
    assert_only_marked(staff_page(client, reverse("admin:registry_corporaterecord_changelist"), language), number)
    record = staff_page(client, reverse("admin:registry_corporaterecord_change", args=[number]), language)
    assert_only_marked(record, number, successor)
