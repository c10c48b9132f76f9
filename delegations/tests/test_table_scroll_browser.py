"""The subscriber's wide tables on a phone: the delegation list and a delegation's signed files
scroll inside their own box, which says so when the table is wider than the screen and which a
keyboard user can scroll. At 1366 px and 390 px, with axe."""

from __future__ import annotations

from typing import Any

import pytest

from delegations.tests.lifecycle import make_draft
from delegations.tests.test_periodic_confirmation_browser import active
from mynatrust.tests.journey_pages import Journey, assert_table_scrolls_with_a_hint, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HINT = "横にスクロール"


@pytest.mark.parametrize("width", [1366, 390])
def test_the_subscribers_tables_say_they_scroll_sideways_on_a_phone(
    page: Any, live_server: Any, subscriber: Any, member: Any, trusted_pki: Any, width: int
) -> None:
    delegation = active(subscriber, member, trusted_pki)
    make_draft(subscriber, member)
    journey = Journey(f"table-scroll-{width}", page)
    sign_in(journey, page, live_server, "app", member.email)
    page.goto(f"{live_server.url}/app/delegations/")
    assert_table_scrolls_with_a_hint(page, "電子委任状の一覧", width, hint_words=HINT)
    page.goto(f"{live_server.url}/app/delegations/{delegation.public_id}/")
    assert_table_scrolls_with_a_hint(page, "署名済みファイルの一覧", width, hint_words=HINT)
    if width < 500:
        page.goto(f"{live_server.url}/app/delegations/")
        assert page.get_by_role("region", name="電子委任状の一覧", exact=True).evaluate(
            "el => el.scrollWidth > el.clientWidth"
        ), "the list is wider than a phone: the case the hint is for"
