"""A recipient's wide tables on a phone: the check history and the API keys scroll inside their
own box, which says so when the table is wider than the screen and which a keyboard user can
scroll. At 1366 px and 390 px, with axe."""

from __future__ import annotations

from typing import Any

import pytest

from mynatrust.lib import delegation_id as ids
from mynatrust.tests.journey_pages import Journey, assert_table_scrolls_with_a_hint, sign_in

from .conftest import facts

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HINT = "横にスクロール"


@pytest.mark.parametrize("width", [1366, 390])
def test_a_recipients_tables_say_they_scroll_sideways_on_a_phone(
    page: Any, live_server: Any, recipient: Any, organisation: Any, api_key: str, stored: Any, width: int
) -> None:
    delegation_id = ids.generate()
    stored(facts(delegation_id))
    journey = Journey(f"recipient-table-scroll-{width}", page)
    sign_in(journey, page, live_server, "recipient", recipient.email)
    page.goto(f"{live_server.url}/recipient/check/")
    page.get_by_label("電子委任状 ID").fill(delegation_id)
    page.get_by_role("button", name="確認する").click()
    page.get_by_test_id("validity-answer").wait_for()
    page.goto(f"{live_server.url}/recipient/checks/")
    assert_table_scrolls_with_a_hint(page, "確認の履歴", width, hint_words=HINT)
    page.goto(f"{live_server.url}/recipient/keys/")
    assert_table_scrolls_with_a_hint(page, "発行済みのキー", width, hint_words=HINT)
