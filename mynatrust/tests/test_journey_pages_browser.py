"""The journeys' own steps in a real browser: a step hands the journey's checks the page it leads to,
even when that page has the same address as the page it leaves and the server answers slowly."""

from __future__ import annotations

import time
from typing import Any

import pytest

from .journey_pages import Journey, press_on

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


class SeenJourney(Journey):
    """A journey that notes the language of each page as its checks begin."""

    def visit(self, page: Any, name: str) -> None:
        self.seen = page.evaluate("document.documentElement.lang")
        super().visit(page, name)


def test_pressing_enter_checks_the_next_page_at_the_same_address(page: Any, live_server: Any, monkeypatch: Any) -> None:
    # The language switch posts and comes back to the page it was sent from; the answer takes a
    # second, as a busy server's may. Checked before it arrived, the page would still be the old one
    # (a full-page screenshot taken across the navigation waited past its 30 s limit).
    from django.core.handlers.base import BaseHandler

    answer = BaseHandler.get_response

    def slow(self: Any, request: Any) -> Any:
        if request.method == "POST" and request.path == "/i18n/setlang/":
            time.sleep(1)
        return answer(self, request)

    monkeypatch.setattr(BaseHandler, "get_response", slow)
    journey = SeenJourney("journey-steps", page)
    page.goto(f"{live_server.url}/")
    page.get_by_label("言語").select_option("en")
    press_on(journey, page, "切替", r"/$", "home-in-english")
    assert journey.seen == "en"
