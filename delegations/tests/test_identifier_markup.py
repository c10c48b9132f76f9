"""Delegation IDs, reception numbers, registration numbers and corporate numbers (法人番号) on the
subscriber's pages and on the staff review page are marked up as identifiers (``mynatrust.lib.identifiers``), as the messages
that name them already are: a browser does not translate them, a screen reader and the Japanese-text
checks know them for what they are, and the whole ID is one element to select and copy."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse

from conftest import make_staff, otp_login
from delegations import confirmation, services
from delegations.models import Delegation
from delegations.tests.lifecycle import make_active
from mynatrust.tests.identifier_markup import assert_only_marked, marked, speak

pytestmark = pytest.mark.django_db

LANGUAGES = ["ja", "en"]


def page(client: Any, settings: Any, language: str, name: str, delegation: Delegation, **kwargs: Any) -> str:
    speak(client, settings, language)
    address = reverse(f"delegations:{name}", kwargs={"public_id": delegation.public_id, **kwargs})
    response = client.get(address)
    assert response.status_code == 200, address
    html = response.content.decode()
    assert f'<html lang="{language}">' in html
    return html


@pytest.fixture
def active(subscriber: Any, member: Any, trusted_pki: Any) -> Delegation:
    delegation = make_active(subscriber, member, trusted_pki, agent_identifier="EMP-0042")
    assert delegation.delegation_id and delegation.reception_number
    return delegation


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_delegation_page_marks_up_its_id_and_numbers(client, settings, member, active, language):
    client.force_login(member)
    html = page(client, settings, language, "detail", active)
    assert f'<span data-testid="delegation-id">{marked(active.delegation_id)}</span>' in html
    assert_only_marked(html, active.delegation_id, active.reception_number, "EMP-0042")


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_update_names_its_original_by_a_marked_up_id(client, settings, member, active, language):
    client.force_login(member)
    update = services.start_update(active, actor=member)
    for name in ("detail", "edit"):
        assert_only_marked(page(client, settings, language, name, update), active.delegation_id)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_draft_names_its_principal_by_a_marked_up_corporate_number(client, settings, member, active, language):
    client.force_login(member)
    draft = services.start_update(active, actor=member)
    html = page(client, settings, language, "edit", draft)
    assert 'data-testid="principal"' in html
    assert_only_marked(html, active.subscriber.corporate_number)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_list_marks_up_the_ids_in_its_table_and_its_reminder(client, settings, member, active, language):
    Delegation.objects.filter(pk=active.pk).update(confirmation_due_on=confirmation.today() - timedelta(days=2))
    client.force_login(member)
    speak(client, settings, language)
    html = client.get(reverse("delegations:list")).content.decode()
    assert 'data-testid="to-confirm"' in html
    assert html.count(marked(active.delegation_id)) == 2
    assert_only_marked(html, active.delegation_id)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_copy_revoke_and_report_pages_mark_up_the_id(client, settings, member, active, language):
    client.force_login(member)
    pages = [("copy", {}), ("revoke", {}), ("report", {"role": "principal"}), ("report", {"role": "agent"})]
    for name, kwargs in pages:
        assert_only_marked(page(client, settings, language, name, active, **kwargs), active.delegation_id)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_revoked_delegation_marks_up_its_revocation_number(client, settings, member, active, language):
    services.revoke_delegation(active, actor=member, reason="退職のため")
    active.refresh_from_db()
    client.force_login(member)
    html = page(client, settings, language, "detail", active)
    assert_only_marked(html, active.delegation_id, active.reception_number, active.revocation_number)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_staff_review_page_marks_up_the_id_and_the_numbers(client, settings, member, active, language):
    services.start_update(active, actor=member)
    otp_login(client, make_staff("service_operator", "op@staff.example.jp"))
    speak(client, settings, language)
    html = client.get(reverse("admin:delegations_delegation_change", args=[active.pk])).content.decode()
    assert f'<html lang="{language}"' in html
    assert f'<li aria-current="page">{marked(active.delegation_id)}</li>' in html  # the breadcrumb
    assert_only_marked(html, active.delegation_id, "EMP-0042", active.xml_sha256, active.subscriber.corporate_number)
