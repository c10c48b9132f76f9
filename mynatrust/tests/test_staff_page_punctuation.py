"""The staff pages punctuate each label in the reader's language: 「：」 and 「（…）」 in Japanese,
": " and " (…)" in English, the punctuation being part of each translated string
(``test_fullwidth_colons`` scans the templates for it; these pages show it rendered)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from conftest import make_staff, make_user, otp_login, suitable
from mynatrust import staff
from mynatrust.roles import Role
from registry.models import SubscriberFacts
from registry.tests.conftest import apply, corporate_number

pytestmark = pytest.mark.django_db

FULL_WIDTH = re.compile(r"[：（）、／〜\u3000。・「」『』]")


def read(client: Any, settings: Any, user: Any, url: str, language: str) -> str:
    otp_login(client, user)
    if language == "en":
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert f'<html lang="{language}"' in page
    return page


def full_width_in(page: str) -> list[str]:
    return [page[max(0, m.start() - 30) : m.end() + 10] for m in FULL_WIDTH.finditer(page)]


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_home_page_s_queues_and_audit_panel(client, settings, language):
    application = apply(make_user("old@a.example.jp", "subscriber"), number=corporate_number("010401000001"))
    SubscriberFacts.objects.filter(subscriber=application).update(submitted_at=timezone.now() - timedelta(days=9))
    page = read(client, settings, make_staff("reception"), reverse("admin:index"), language)
    if language == "ja":
        assert re.search(r'最も古いもの：<a href="[^"]+" data-testid="queue-oldest">9 日待ち</a>（[^（）]+）', page)
    else:
        assert re.search(r'Oldest: <a href="[^"]+" data-testid="queue-oldest">waiting 9 days</a> \([^()]+\)', page)
        assert full_width_in(page) == []


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_application_review_page(client, settings, language):
    application = apply(make_user("member@a.example.jp", "subscriber"))
    url = reverse("admin:registry_subscriber_review", args=[application.pk])
    page = read(client, settings, make_staff("reception"), url, language)
    if language == "ja":
        assert re.search(r"ページ、[^、]+、SHA-256 ", page)
    else:
        assert re.search(r" \(1 pages, [^,]+, SHA-256 ", page)
        assert full_width_in(page) == []


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_trusted_roles_page(client, settings, service_manager, language):
    check = suitable(service_manager, "監査 一郎", "auditor")
    staff.appoint_staff(
        "audit@staff.example.jp", Role.AUDITOR, actor=service_manager, display_name="監査 一郎", suitability=check
    )
    page = read(client, settings, service_manager, reverse("admin:trusted_roles"), language)
    if language == "ja":
        assert "受付担当者（本サービス独自の役割）" in page
        assert re.search(r"（任命者：[^、]+、適格性確認：[^）]+）", page)
    else:
        assert "Reception (a role of this service's own)" in page
        assert re.search(r" \(appointed by: [^,]+, suitability check: [^)]+\)", page)
        assert full_width_in(page) == []
