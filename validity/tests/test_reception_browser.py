"""A recipient waiting for approval sees its 受付番号 and the expected time, at 1366 px and 390 px
with the journeys' page checks."""

from __future__ import annotations

import re

import pytest

from conftest import PASSWORD, make_user
from mynatrust.tests.journey_pages import Journey

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [1366, 390])
def test_a_waiting_recipient_sees_its_reception_number(page, live_server, width):
    from validity import services

    page.set_viewport_size({"width": width, "height": 900})
    journey = Journey(f"recipient-reception-{width}", page)
    checker = make_user("checker@receipts.example.jp", "recipient", display_name="確認 一郎")
    details = services.RecipientDetails(
        kind="corporation",
        name="株式会社受領商事",
        address="東京都千代田区霞が関一丁目1番1号",
        representative_title="代表取締役",
        representative_name="受領 太郎",
        representative_address="東京都港区芝公園四丁目2番8号",
        representative_date_of_birth=None,
        declarant_name="確認 一郎",
    )
    organisation = services.register_recipient(checker, details, actor=checker)
    page.goto(f"{live_server.url}/recipient/login/")
    page.locator("#id_username").fill(checker.email)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url(re.compile(r"/recipient/$"))
    assert page.get_by_test_id("reception-number").inner_text() == organisation.reception_number
    assert "受付から5日以内" in page.content()
    journey.visit(page, "recipient-pending")
