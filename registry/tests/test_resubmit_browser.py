"""Correcting a returned application in the browser, at desktop and phone widths, with the page
checks of the journeys (one <h1>, no console or CSP error, axe, keyboard, no sideways scroll):
入力 → 確認 → 完了, the corrected value restated before anything is stored."""

from __future__ import annotations

import re

import pytest

from conftest import make_staff, make_user
from mynatrust.tests.journey_pages import Journey, sign_in
from registry import services
from registry.models import Subscriber
from registry.tests.conftest import apply, corporate_number

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_returned_application_is_corrected_in_three_steps(page, live_server):
    """Each page is checked at 1366 px and again at 390 px (``Journey.visit``)."""
    applicant = make_user("returned@subscriber.example.jp", "subscriber")
    applied = apply(applicant, number=corporate_number("011001055555"))
    reception = make_staff("reception", "reception-resubmit@staff.example.jp")
    services.return_facts(applied.facts.get(), actor=reception, reason="代表者の役職を登記どおりにしてください")

    journey = Journey("resubmit", page)
    sign_in(journey, page, live_server, "app", applicant.email)
    page.goto(f"{live_server.url}/app/apply/resubmit/")
    journey.visit(page, "resubmit")
    page.locator("#id_representative_title").fill("代表取締役社長")
    page.get_by_role("button", name="入力内容を確認する").click()
    journey.visit(page, "resubmit-confirm")
    assert "代表取締役社長" in page.content()
    applied.refresh_from_db()
    assert applied.status == Subscriber.Status.RETURNED  # the confirmation stores nothing
    page.get_by_role("button", name="再提出する").click()
    page.wait_for_url(re.compile(r"/app/apply/resubmit/done/$"))
    journey.visit(page, "resubmit-done")
    assert page.get_by_test_id("reception-number").is_visible()
    applied.refresh_from_db()
    assert applied.status == Subscriber.Status.APPLIED
    assert applied.open_facts.representative_title == "代表取締役社長"
