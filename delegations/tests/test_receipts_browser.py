"""受付番号 and the receipts in the browser, at 1366 px and 390 px with the journeys' page checks
(axe, keyboard, Japanese text, no sideways scroll): the applicant's home with its 受付番号, review
time and 申込受付票; a registered and then revoked delegation with its numbers, 登録完了通知 and
取消通知 (the recipient's number: validity/tests/test_reception_browser.py)."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from conftest import PASSWORD, make_user
from delegations.tests.lifecycle import make_active
from mynatrust.tests.journey_pages import Journey

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def off_the_browser_thread(function: Any, *args: Any, **kwargs: Any) -> Any:
    """pyHanko's synchronous API runs its own event loop, which cannot start beside Playwright's."""
    from django.db import connections

    def run() -> Any:
        try:
            return function(*args, **kwargs)
        finally:
            connections.close_all()  # the thread's own connection, or the test database stays in use

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(run).result()


def sign_in(page: Any, base: str, prefix: str, user: Any) -> None:
    page.goto(f"{base}/{prefix}/login/")
    page.locator("#id_username").fill(user.email)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url(re.compile(rf"/{prefix}/$"))


def download(page: Any, test_id: str) -> bytes:
    with page.expect_download() as item:
        page.get_by_test_id(test_id).click()
    data = Path(item.value.path()).read_bytes()
    assert data.startswith(b"%PDF")
    return data


@pytest.mark.parametrize("width", [1366, 390])
def test_numbers_and_receipts_in_the_browser(page, browser, live_server, member, subscriber, trusted_pki, width):
    from delegations import services
    from registry.tests.conftest import apply, corporate_number

    page.set_viewport_size({"width": width, "height": 900})
    journey = Journey(f"receipts-{width}", page)

    # -- an applicant waiting for review -------------------------------------------------------
    applicant = make_user("applicant@receipts.example.jp", "subscriber", display_name="申込 花子")
    applied = apply(applicant, number=corporate_number("011001012345"))
    first = journey.new_page(browser)
    first.set_viewport_size({"width": width, "height": 900})
    sign_in(first, live_server.url, "app", applicant)
    assert first.get_by_test_id("reception-number").inner_text() == applied.reception_number
    assert "受付から5日以内" in first.get_by_test_id("receipt").inner_text()
    journey.visit(first, "applied-home")
    download(first, "receipt-pdf")
    first.context.close()

    # -- a delegation registered, then revoked ---------------------------------------------------
    delegation = off_the_browser_thread(make_active, subscriber, member, trusted_pki)
    sign_in(page, live_server.url, "app", member)
    page.goto(f"{live_server.url}/app/delegations/{delegation.public_id}/")
    assert page.get_by_test_id("reception-number").inner_text() == delegation.reception_number
    journey.visit(page, "registered")
    download(page, "notice-registered")
    off_the_browser_thread(services.revoke_delegation, delegation, actor=member, reason="担当者の異動")
    delegation.refresh_from_db()
    page.reload()
    assert page.get_by_test_id("revocation-number").inner_text() == delegation.revocation_number
    journey.visit(page, "revoked")
    download(page, "notice-revoked")
