"""Periodic confirmation (§4.3) in a real browser: the subscriber is asked on the list page,
confirms on the delegation's page; reception finds the delegation still unconfirmed past the
reminders in its queue and records a contact through the confirmation page. Every page at 1366 px
and 390 px (axe, no browser error, no sideways scrolling on a phone)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from delegations import confirmation
from delegations.models import ConfirmationFollowUp, Delegation, PeriodicConfirmation
from delegations.tests.lifecycle import make_active
from mynatrust.tests.journey_pages import (
    Journey,
    assert_accessible,
    assert_no_browser_errors,
    assert_no_sideways_scroll,
    in_thread,
    sign_in,
)
from mynatrust.tests.test_staff_workspace_browser import sign_in_to_dashboard

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def active(subscriber: Any, member: Any, pki: Any) -> Delegation:
    """An active delegation, signed in another thread (pyHanko's event loop cannot run beside
    Playwright's), whose database connection is closed before the thread ends."""
    from django.db import connection

    def make() -> Delegation:
        try:
            return make_active(subscriber, member, pki)
        finally:
            connection.close()

    return in_thread(make)


def overdue_by(delegation: Delegation, days: int) -> None:
    Delegation.objects.filter(pk=delegation.pk).update(confirmation_due_on=confirmation.today() - timedelta(days=days))


def check(page: Any, width: int, name: str, *, phone_width: bool = True) -> None:
    """The page checks; ``phone_width=False`` for the admin's list and item pages, whose tables (the
    signed files, the list columns) scroll sideways on a phone as every admin list does."""
    page.set_viewport_size({"width": width, "height": 900})
    page.wait_for_load_state()
    assert page.locator("h1").count() == 1
    assert_no_browser_errors(page)
    assert_accessible(page, f"{name} {width}")
    if width < 500 and phone_width:
        assert_no_sideways_scroll(page, f"{name} {width}")


def test_the_subscriber_confirms_a_delegation_that_is_due(
    page: Any, live_server: Any, subscriber: Any, member: Any, trusted_pki: Any
) -> None:
    delegation = active(subscriber, member, trusted_pki)
    overdue_by(delegation, 2)
    journey = Journey("periodic-confirmation", page)
    sign_in(journey, page, live_server, "app", member.email)
    page.goto(f"{live_server.url}/app/delegations/")
    journey.visit(page, "list-asks-for-confirmation")  # both widths, keyboard, Japanese only
    notice = page.get_by_test_id("to-confirm")
    assert "定期確認をお願いします" in notice.inner_text()
    notice.get_by_role("link", name=delegation.delegation_id).click()
    journey.visit(page, "delegation-overdue")
    section = page.get_by_test_id("periodic-confirmation")
    assert "期限を過ぎています" in section.inner_text()
    statement = page.get_by_label("この電子委任状の記載内容を確かめ、真正かつ正確であることを確認しました")
    assert statement.get_attribute("required") is not None  # the server refuses it too (test_periodic_confirmation)
    page.get_by_label("この電子委任状の記載内容を確かめ、真正かつ正確であることを確認しました").check()
    page.get_by_role("button", name="確認を記録する").click()
    journey.visit(page, "confirmed")
    assert "定期確認を記録しました" in page.inner_text("body")
    assert "期限を過ぎています" not in page.get_by_test_id("periodic-confirmation").inner_text()
    assert PeriodicConfirmation.objects.get().confirmed_by == member


@pytest.mark.parametrize("width", [1366, 390])
def test_reception_follows_up_an_unconfirmed_delegation(
    page: Any, live_server: Any, subscriber: Any, member: Any, trusted_pki: Any, settings: Any, width: int
) -> None:
    from conftest import make_staff

    delegation = active(subscriber, member, trusted_pki)
    overdue_by(delegation, settings.DELEGATION_CONFIRMATION_FOLLOW_UP_DAYS + 3)
    reception = make_staff("reception", "desk@staff.example.jp")
    page.set_viewport_size({"width": width, "height": 900})
    journey = Journey(f"confirmation-follow-up-{width}", page)
    sign_in_to_dashboard(journey, page, live_server, reception, "reception")
    page.get_by_role("link", name="定期確認が済んでいない電子委任状").first.click()
    check(page, width, "queue list", phone_width=False)
    page.get_by_role("link", name=delegation.delegation_id).first.click()
    check(page, width, "delegation in admin", phone_width=False)
    page.get_by_role("link", name="定期確認の督促を記録する").click()
    check(page, width, "follow-up confirmation page")
    page.get_by_label("連絡の方法（運用規程 6.1）").select_option("phone")
    page.get_by_label("連絡の内容と結果").fill("代表者に電話し、今週中に確認すると回答を得た")
    page.get_by_role("button", name="連絡を記録する").click()
    check(page, width, "after the follow-up", phone_width=False)
    assert "代表者に電話し" in page.inner_text("body")
    assert ConfirmationFollowUp.objects.get().recorded_by == reception
