"""The business procedures (§7.2.4) in a real browser, at 1366 px and 390 px: a member of staff who
did not write them (the maintenance staff) signs in, opens them from the menu and reads the version
in force. The pages are checked like every journey page (one <h1>, axe clean, no browser error) and
carry no English word but proper names."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from conftest import make_staff
from mynatrust.repository import services
from mynatrust.repository.models import DocumentKind

from .journey_pages import Journey, assert_accessible, assert_no_browser_errors, english_words
from .test_staff_workspace_browser import sign_in_to_dashboard

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def approved(db: None) -> dict[str, Any]:
    administrator = make_staff("service_administrator", "admin@staff.example.jp")
    manager = make_staff("service_manager", "manager@staff.example.jp")
    doc = services.draft_document(
        kind=DocumentKind.PROCEDURES,
        version="1.0",
        title="電子委任状の受付手順書",
        body="1. 署名済みファイルの検証結果を確認する。\n2. 代替文字の位置を照合する。",
        effective_at=timezone.now(),
        change_summary="初版",
        actor=administrator,
    )
    services.approve_document(doc, actor=manager)
    return {"reader": make_staff("maintenance", "maintenance@staff.example.jp"), "doc": doc}


@pytest.mark.parametrize("width", [1366, 390])
def test_staff_read_the_procedures_in_force(page: Any, live_server: Any, approved: Any, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    journey = Journey(f"procedures-{width}", page)
    reader = approved["reader"]
    sign_in_to_dashboard(journey, page, live_server, reader, "maintenance")
    page.goto(f"{live_server.url}/staff-admin/mynatrust/proceduredocument/")
    page.wait_for_load_state()
    assert page.locator("h1").count() == 1
    assert_no_browser_errors(page)
    assert_accessible(page, f"procedures list {width}")
    page.get_by_role("link", name="業務手続書 1.0").click()
    page.wait_for_load_state()
    journey.pages += 1
    page.screenshot(path=journey.folder / f"{journey.pages:02d}-procedures.png", full_page=True)
    body = page.inner_text("body")
    assert "代替文字の位置を照合する" in body
    assert page.locator("h1").count() == 1
    assert_no_browser_errors(page)
    assert_accessible(page, f"procedures page {width}")
    text = body
    for name in (reader.email, reader.display_name, "admin@staff.example.jp", "manager@staff.example.jp"):
        text = text.replace(name, " ")  # people's names and addresses as they were entered
    assert english_words(text) == []
