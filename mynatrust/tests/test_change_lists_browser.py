"""Every staff admin change list in a real browser, at 1366 px and at 390 px, with axe.

The demo's data is loaded (it fills the lists with rows of every kind), and each staff persona signs
in and opens every change list of the admin, and every list a work queue of the home page links to
(a list with its filter chosen). Each is checked once, by the first persona that may read it: at
both widths the document must be no wider than the window (a table wider than a phone scrolls in
its own box, ``#changelist .results``, never the whole page), and axe must find no violation at all,
whatever its impact."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from .journey_pages import PHONE, Journey, admin_sign_in, assert_no_browser_errors
from .test_decision_pages_browser import demo  # noqa: F401  (the demo's data)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1366, "height": 900}
# Every staff persona of the demo, the one who reads the most lists first.
PERSONAS = ("admin", "auditor", "manager", "operator", "reception", "maintenance")

# The document's width, and the first elements that reach past the window (to name them).
_WIDTH_JS = """
() => [
  document.scrollingElement.scrollWidth,
  [...document.querySelectorAll("body *")]
    .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
    .slice(0, 4)
    .map(e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (e.className ? "." + e.className : "")),
]
"""


def _change_lists() -> list[str]:
    """The change list of every model of the staff admin, then the lists the work queues open."""
    from django.contrib import admin

    from mynatrust.dashboard import QUEUES

    lists = sorted(
        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist") for model in admin.site._registry
    )
    queues = sorted({queue.list_url() for queue in QUEUES} - set(lists))
    return lists + [url for url in queues if url.split("?")[0] in lists]


def assert_no_axe_violation(page: Any, name: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    violations = Axe().run(page).response["violations"]
    found = [(v["id"], v["impact"], v["help"], [n["html"] for n in v["nodes"]][:3]) for v in violations]
    assert found == [], f"{name}: {found}"


def check_change_list(page: Any, name: str) -> None:
    for size in (DESKTOP, PHONE):
        page.set_viewport_size(size)
        page.wait_for_load_state()
        width, past = page.evaluate(_WIDTH_JS)
        assert width <= size["width"], f"{name}: {width} px wide at {size['width']} px: {past}"
        assert_no_axe_violation(page, f"{name} at {size['width']} px")
    assert_no_browser_errors(page)
    page.set_viewport_size(DESKTOP)


def test_no_change_list_is_wider_than_the_window(page: Any, live_server: Any, demo: None) -> None:  # noqa: F811
    from mynatrust.management.commands.demo_setup import DEMO_PASSWORD, demo_email
    from mynatrust.models import User

    Journey("staff-change-lists", page)  # watches the browser's console and CSP
    page.set_viewport_size(DESKTOP)
    lists = _change_lists()
    checked: dict[str, str] = {}
    problems: list[str] = []
    for persona in PERSONAS:
        page.context.clear_cookies()
        admin_sign_in(page, live_server, User.objects.get(email=demo_email(persona)), DEMO_PASSWORD)
        for url in (u for u in lists if u not in checked):
            page.console_messages.clear()  # the 403 of a list an earlier role could not read
            opened = page.goto(f"{live_server.url}{url}")
            if opened is None or opened.status != 200:  # a list this role may not read
                continue
            checked[url] = persona
            try:
                check_change_list(page, f"{persona} {url.removeprefix('/staff-admin/')}")
            except AssertionError as exc:  # every list is checked; all findings are listed at the end
                problems.append(str(exc))
                page.set_viewport_size(DESKTOP)
    assert problems == [], "\n\n".join(problems)
    # Every list was open to someone, the delegations' with the most columns among them.
    assert sorted(set(lists) - set(checked)) == []
    assert "/staff-admin/delegations/delegation/" in checked
