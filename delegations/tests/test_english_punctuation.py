"""Read in English, the pages of a subscriber's delegations and the staff's reviews of them carry no
Japanese punctuation or spacing: a period is "2026-04-01 to 2027-03-31", not 「〜」, a list joins
with ", ", not 「、」「・」, a value and its note are apart by a space, not U+3000. The punctuation is
part of each translated string (``mynatrust/tests/test_fullwidth_colons.py`` scans the templates for
it); these tests read the pages rendered. What the data itself holds (names, addresses, a title) is
Japanese as it was entered and is taken out before the search.
"""

from __future__ import annotations

import html
import re
from datetime import date, timedelta
from typing import Any

import pytest
from django.conf import settings
from django.db import models
from django.urls import reverse

from conftest import make_staff, otp_login
from delegations import services
from delegations.tests.lifecycle import make_active, make_draft, make_finalised
from registry.models import Membership

pytestmark = pytest.mark.django_db

JAPANESE_PUNCTUATION = re.compile(r"[：（）、／〜\u3000。・「」『』]")
CONTACT = ("CONTACT_DESK", "CONTACT_ADDRESS", "CONTACT_HOURS", "OPERATOR_NAME", "SERVICE_FORMAL_NAME", "SERVICE_NAME")


def texts_of(*objects: models.Model) -> list[str]:
    """Every text the objects store, and the service's contact details: what a page shows as data."""
    found = [str(getattr(settings, name, "")) for name in CONTACT]
    for obj in objects:
        for field in obj._meta.concrete_fields:
            value = getattr(obj, field.attname)
            found.append(value if isinstance(value, str) else "")
    return sorted({text for text in found if text}, key=len, reverse=True)


def english(client: Any, url: str, data: list[str]) -> list[str]:
    """The Japanese punctuation of the English page at ``url`` outside the data, with its context."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(url)
    assert response.status_code == 200, url
    page = response.content.decode()
    assert '<html lang="en"' in page
    for text in data:
        page = page.replace(html.escape(text), " ").replace(text, " ")
    return [page[max(0, m.start() - 40) : m.end() + 20] for m in JAPANESE_PUNCTUATION.finditer(page)]


@pytest.fixture
def delegations(subscriber: Any, member: Any, trusted_pki: Any) -> dict[str, Any]:
    Membership.objects.filter(user=member).update(may_revoke=True)
    soon = date.today() + timedelta(days=3)
    return {
        "draft": make_draft(subscriber, member),
        "later": make_finalised(subscriber, member, valid_from=soon),
        "active": make_active(subscriber, member, trusted_pki),
    }


def _data(subscriber: Any, delegations: dict[str, Any]) -> list[str]:
    members = list(Membership.objects.filter(subscriber=subscriber))
    people = [m.user for m in members]
    signed = [f for d in delegations.values() for f in d.signed_files.all()]
    return texts_of(subscriber, *subscriber.facts.all(), *members, *people, *delegations.values(), *signed)


def test_the_subscriber_s_pages_in_english(client, subscriber, member, delegations):
    subscriber.refresh_from_db()
    data = _data(subscriber, delegations)
    client.force_login(member)
    urls = [
        reverse("registry:home"),
        reverse("registry:info"),
        reverse("registry:members"),
        reverse("delegations:list"),
        reverse("delegations:saved", args=[delegations["draft"].public_id]),
        *(reverse("delegations:detail", args=[d.public_id]) for d in delegations.values()),
    ]
    assert {url: english(client, url, data) for url in urls} == {url: [] for url in urls}


def test_the_agent_s_acceptance_page_in_english(client, subscriber, member, delegations):
    token = services.acceptance_link_token(delegations["later"])
    url = reverse("delegations:acceptance_link", kwargs={"token": token})
    assert english(client, url, _data(subscriber, delegations)) == []


def test_the_staff_s_review_of_the_subscriber_in_english(client, subscriber, member, delegations):
    data = _data(subscriber, delegations)
    otp_login(client, make_staff("reception", "reception-en@staff.example.jp"))
    url = reverse("admin:registry_subscriber_review", args=[subscriber.pk])
    assert english(client, url, data) == []


def test_the_staff_s_review_of_a_delegation_in_english(client, subscriber, delegations):
    # The reports of the signed files on it are built in Python (delegations.signatures.report).
    data = _data(subscriber, delegations)
    otp_login(client, make_staff("reception", "reception-en@staff.example.jp"))
    url = reverse("admin:delegations_delegation_review", args=[delegations["active"].pk])
    assert english(client, url, data) == []
