"""The trusted roles page (§7.2.1) in a real browser: the auditor opens it from the home page and
reads each role of the rules with its duties and chain of command, at 1366 px and 390 px (axe, no
browser error, no sideways scrolling, no English word but names)."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import make_staff

from .journey_pages import Journey, assert_accessible, assert_no_browser_errors
from .test_staff_workspace_browser import check_japanese_page, check_on_a_phone, sign_in_to_dashboard

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [1366, 390])
def test_the_auditor_reads_the_trusted_roles(page: Any, live_server: Any, width: int) -> None:
    auditor = make_staff("auditor", "audit@staff.example.jp")
    auditor.display_name = "監査 一郎"
    auditor.save(update_fields=["display_name"])
    page.set_viewport_size({"width": width, "height": 900})
    journey = Journey(f"trusted-roles-{width}", page)
    sign_in_to_dashboard(journey, page, live_server, auditor, "auditor")
    page.get_by_test_id("trusted-roles-link").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "信頼される役割と指揮命令系統"
    for name in ("サービス責任者", "サービス管理者", "サービス運用者", "監査人", "保守員"):
        assert page.get_by_role("heading", name=name, exact=True).count() == 1
    assert page.get_by_test_id("holders-auditor").inner_text() == "監査 一郎"
    assert "監査ログの抽出、検査、管理を行う。" in page.inner_text("body")
    assert_no_browser_errors(page)
    assert_accessible(page, f"trusted roles {width}")
    check_japanese_page(page, "trusted roles", "監査 一郎")
    check_on_a_phone(journey, page, "trusted-roles")
