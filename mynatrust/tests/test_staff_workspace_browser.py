"""Each role's staff home in a real browser, in Japanese, at 1366 px and at 390 px: the dashboards are
screenshotted (``test-artifacts/screenshots/staff-dashboards/``) and checked like every journey page
(one <h1>, axe clean, keyboard usable, no CSP violation), carry no English word but proper names, and
fit the window; the service manager takes decisions through their confirmation pages (an anchor
change; a document version beside its 新旧対照表), at both widths."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from conftest import make_staff, make_user
from registry.tests.conftest import apply

from .journey_pages import (
    PHONE,
    Journey,
    admin_sign_in,
    assert_accessible,
    assert_no_browser_errors,
    assert_no_english_words,
    assert_no_sideways_scroll,
    click_through,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def check_japanese_page(page: Any, name: str, *names: str) -> None:
    assert_no_english_words(page, name, *names)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1366, f"{name}: {width}px wide"


def check_on_a_phone(journey: Journey, page: Any, name: str) -> None:
    """The same page at 390 px: screenshotted, axe clean, nothing wider than the screen."""
    size = page.viewport_size
    page.set_viewport_size(PHONE)
    page.screenshot(path=journey.folder / f"{journey.pages:02d}-{name}-390.png", full_page=True)
    assert_accessible(page, f"{name} at 390 px")
    assert_no_sideways_scroll(page, f"{name} at 390 px")
    page.set_viewport_size(size)


def sign_in_to_dashboard(journey: Journey, page: Any, live_server: Any, user: Any, role: str) -> None:
    """Password, then the code; the home page is checked like a journey page, except the count of
    Tab stops (the service manager's menu has more links than the journeys' keyboard walk covers)."""
    admin_sign_in(page, live_server, user)
    page.wait_for_load_state()
    journey.pages += 1
    page.screenshot(path=journey.folder / f"{journey.pages:02d}-dashboard-{role}.png", full_page=True)
    assert page.locator("h1").count() == 1
    assert page.locator("main, [role=main]").count() == 1
    assert_no_browser_errors(page)
    assert_accessible(page, f"dashboard {role}")
    check_on_a_phone(journey, page, f"dashboard-{role}")


@pytest.fixture
def queues_filled(db: None) -> dict[str, Any]:
    from delegations import trust
    from delegations.signatures.testpki import TestPKI
    from mynatrust.repository import services as repository

    staff = {
        role: make_staff(role)
        for role in ("reception", "service_operator", "service_manager", "auditor", "maintenance")
    }
    apply(make_user("shinsei@example.jp", "subscriber"))
    in_force = repository.draft_document(
        kind="terms",
        version="2026-04-01",
        title="利用約款 2026-04-01",
        body="第1条 この約款は…\n第2条 料金は月額千円とする。",
        effective_at=timezone.now(),
        actor=staff["service_operator"],
    )
    repository.approve_document(in_force, actor=staff["service_manager"])
    revision = repository.draft_document(
        kind="terms",
        version="2027-04-01",
        title="利用約款 2027-04-01",
        body="第1条 この約款は…\n第2条 料金は月額二千円とする。\n第3条 新設の条。",
        effective_at=timezone.now() + timedelta(days=60),
        change_summary="第2条の改定と第3条の新設",
        actor=staff["service_operator"],
    )
    change = trust.request_anchor_addition(
        TestPKI.generate().root_der, actor=staff["service_operator"], reason="次の世代"
    )
    return {**staff, "change": change, "revision": revision}


@pytest.mark.parametrize("width", [1366])
def test_every_role_sees_its_dashboard_in_japanese(page: Any, live_server: Any, queues_filled: Any, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    journey = Journey("staff-dashboards", page)
    expected = {
        "reception": "審査待ちの利用申込・変更届",
        "service_operator": "承認待ちのトラストアンカー変更",
        "service_manager": "承認待ちの公開文書",
        "auditor": "監査ログの検証状況",
        "maintenance": "稼働状況",
    }
    for role, heading in expected.items():
        page.context.clear_cookies()
        sign_in_to_dashboard(journey, page, live_server, queues_filled[role], role)
        assert heading in page.inner_text("#content-main"), role
        assert str(queues_filled[role].staff_role.label) in page.inner_text("#user-tools")
        check_japanese_page(page, f"dashboard {role}", queues_filled[role].display_name)


def test_the_service_manager_decides_an_anchor_change_through_its_confirmation(
    page: Any, live_server: Any, queues_filled: Any
) -> None:
    from delegations.models import AnchorChange

    page.set_viewport_size({"width": 1366, "height": 900})
    journey = Journey("staff-decision", page)
    sign_in_to_dashboard(journey, page, live_server, queues_filled["service_manager"], "service_manager")
    queue = page.locator('[data-queue="anchor_change"]')
    click_through(journey, page, queue.get_by_test_id("queue-oldest"), "anchor-change")
    # People's names and the certificate's subject (the issuer's registered English name) are names.
    subject = queues_filled["change"].anchor.subject
    names = (queues_filled["service_manager"].display_name, queues_filled["service_operator"].display_name, subject)
    check_japanese_page(page, "anchor change", *names)
    click_through(journey, page, page.get_by_role("link", name="承認する"), "anchor-change-confirm")
    check_japanese_page(page, "anchor change confirmation", *names)
    assert "信頼し" in page.get_by_test_id("decision-consequence").inner_text()
    assert AnchorChange.objects.get().decision == AnchorChange.Decision.PENDING  # nothing done yet
    click_through(journey, page, page.get_by_role("button", name="承認する"), "anchor-change-approved")
    assert "承認しました" in page.inner_text("body")
    assert AnchorChange.objects.get().decision == AnchorChange.Decision.APPROVED


def test_the_service_manager_approves_a_document_beside_its_comparison_table(
    page: Any, live_server: Any, queues_filled: Any
) -> None:
    from mynatrust.repository.models import DocumentVersion

    page.set_viewport_size({"width": 1366, "height": 900})
    journey = Journey("staff-document-approval", page)
    manager, operator = queues_filled["service_manager"], queues_filled["service_operator"]
    names = (manager.display_name, operator.display_name)
    sign_in_to_dashboard(journey, page, live_server, manager, "service_manager")
    queue = page.locator('[data-queue="document_approval"]')
    click_through(journey, page, queue.get_by_test_id("queue-oldest"), "document")
    check_japanese_page(page, "document", *names)
    check_on_a_phone(journey, page, "document")
    click_through(
        journey, page, page.get_by_test_id("decision-buttons").get_by_role("link", name="承認する"), "confirm"
    )
    check_japanese_page(page, "document approval", *names)
    check_on_a_phone(journey, page, "confirm")
    table = page.get_by_test_id("comparison")
    assert table.locator("ins").first.inner_text() == "二"  # 千円 → 二千円, underlined
    assert "（新設）" in table.inner_text()
    assert "運用規程 9.2" in page.get_by_test_id("decision-consequence").inner_text()
    assert DocumentVersion.objects.get(pk=queues_filled["revision"].pk).is_draft  # nothing done yet
    click_through(journey, page, page.get_by_role("button", name="承認する"), "approved")
    assert "予告" in page.inner_text("body")
    assert DocumentVersion.objects.get(pk=queues_filled["revision"].pk).status == DocumentVersion.Status.APPROVED
