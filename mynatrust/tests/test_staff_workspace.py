"""The staff admin's home: each role's work queues, oldest first, overdue marked, role in the header."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from conftest import make_staff, make_user, otp_login
from registry.models import SubscriberFacts
from registry.tests.conftest import apply, corporate_number

pytestmark = pytest.mark.django_db


def home(client, user) -> str:
    otp_login(client, user)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    return response.content.decode()


def queue_html(page: str, key: str) -> str:
    match = re.search(rf'<li class="queue[^"]*" data-queue="{key}">(.*?)</li>', page, re.S)
    assert match, f"queue {key} not on the page"
    return match.group(0)


def test_reception_sees_applications_waiting_with_the_oldest_linked_and_its_days(client, settings):
    settings.STAFF_QUEUE_OVERDUE_DAYS = {"subscriber_review": 5}
    reception = make_staff("reception")
    old = apply(make_user("old@a.example.jp", "subscriber"), number=corporate_number("010401000001"))
    apply(make_user("new@b.example.jp", "subscriber"), number=corporate_number("010401000002"))
    SubscriberFacts.objects.filter(subscriber=old).update(submitted_at=timezone.now() - timedelta(days=9))

    page = home(client, reception)
    queue = queue_html(page, "subscriber_review")
    assert 'data-testid="queue-count">2<' in queue
    assert reverse("admin:registry_subscriber_change", args=[old.pk]) in queue
    assert "9 日待ち" in queue
    assert "queue-overdue" in queue and "期限超過" in queue
    assert "受付担当者" in page  # the role in the header


def test_a_queue_within_its_limit_is_not_marked_overdue(client, settings):
    settings.STAFF_QUEUE_OVERDUE_DAYS = {"subscriber_review": 5}
    reception = make_staff("reception")
    apply(make_user("new@b.example.jp", "subscriber"))
    queue = queue_html(home(client, reception), "subscriber_review")
    assert "queue-overdue" not in queue and "0 日待ち" in queue


def test_the_home_page_has_no_recent_actions_panel(client):
    page = home(client, make_staff("reception"))
    assert "recent-actions-module" not in page
    assert "利用不可" not in page and "最近行った操作" not in page


@pytest.mark.parametrize(
    ("role", "present", "absent"),
    [
        (
            "reception",
            {"subscriber_review", "delegation_reception", "qualification_check", "recipient_review"},
            {"audit_unsealed", "document_approval"},
        ),
        ("service_operator", {"delegation_reception", "revocation_request", "anchor_change"}, {"subscriber_review"}),
        ("service_manager", {"document_approval", "staff_enrolment"}, {"subscriber_review"}),
        ("auditor", {"audit_unsealed"}, {"subscriber_review", "revocation_request"}),
        ("maintenance", set(), {"subscriber_review", "audit_unsealed"}),
    ],
)
def test_each_role_sees_the_queues_it_works(client, role, present, absent):
    page = home(client, make_staff(role))
    shown = set(re.findall(r'data-queue="([a-z_]+)"', page))
    assert present <= shown, shown
    assert not (absent & shown), shown


def test_the_auditor_sees_the_verification_status_and_maintenance_the_health(client):
    assert 'data-testid="audit-panel"' in home(client, make_staff("auditor"))
    client.logout()
    page = home(client, make_staff("maintenance"))
    assert 'data-testid="health-panel"' in page and "データベース" in page and "正常" in page


def test_documents_and_notices_are_grouped_apart_from_accounts(client):
    page = home(client, make_staff("service_manager"))
    page = page[page.index('id="menu-title"') :]
    assert "公開文書と告知" in page
    repository = page.index("公開文書と告知")
    accounts = page.index("アカウントと職員")
    docs = page.index(reverse("admin:mynatrust_documentversion_changelist"))
    users = page.index(reverse("admin:mynatrust_user_changelist"))
    # each model sits under its own heading
    assert (repository < docs) and (accounts < users)
    assert not (accounts < docs < repository) and not (repository < users < accounts)


def test_the_reception_list_opens_on_the_review_queue_oldest_first_with_days_waiting(client):
    reception = make_staff("reception")
    newer = apply(make_user("new@b.example.jp", "subscriber"), number=corporate_number("010401000002"))
    older = apply(make_user("old@a.example.jp", "subscriber"), number=corporate_number("010401000001"))
    SubscriberFacts.objects.filter(subscriber=older).update(submitted_at=timezone.now() - timedelta(days=4))
    otp_login(client, reception)
    page = client.get(reverse("admin:registry_subscriber_changelist")).content.decode()
    assert "待ち日数" in page and "4 日" in page
    first = page.index(reverse("admin:registry_subscriber_change", args=[older.pk]))
    second = page.index(reverse("admin:registry_subscriber_change", args=[newer.pk]))
    assert first < second
    everyone = client.get(reverse("admin:registry_subscriber_changelist") + "?queue=all").content.decode()
    assert "すべての利用者" in everyone


def test_staff_label_filters_put_codes_into_words():
    from mynatrust.templatetags import staff_labels

    assert staff_labels.verdict_label("match") == "一致"
    assert staff_labels.lookup_source_label("table") == "取込み済みの法人番号公表データ"
    assert staff_labels.iso_moment("2026-12-06T15:30:00+00:00") == "2026年12月7日 00:30"
    assert "KB" in staff_labels.byte_size(2048)


def test_every_health_check_has_a_japanese_name():
    from mynatrust import dashboard
    from mynatrust.operations import health

    assert set(health.registered()) <= set(dashboard.HEALTH_LABELS)


def test_no_list_page_offers_a_bulk_action_to_any_role(staff_by_role, rf):
    """Decisions are pages with a confirmation, never a bulk action: no model admin offers any action
    (not even a bulk delete) to any staff role."""
    from django.contrib import admin

    offered = {}
    for role, user in staff_by_role.items():
        for model, model_admin in admin.site._registry.items():
            request = rf.get("/")
            request.user = user
            actions = model_admin.get_actions(request)
            if actions:
                offered[(role, model._meta.label)] = sorted(actions)
    assert offered == {}
