"""Every decision's confirmation page in a real browser, at 1366 px and at 390 px, with axe.

The demo's data is loaded (it fills every staff queue), each deciding role signs in and opens the
page of every item that has decisions; every decision button found there is followed to its
confirmation page, which must be one <h1>, axe clean, free of CSP violations and no wider than
the window at either width, and read as Japanese: no English word but allowed names, no raw code, no
ISO or UTC time. Identifiers (a delegation ID, a serial number) are not words: the pages mark them up
as such (``<data translate="no">``) and the check reads the text without them. Nothing is decided:
the pages are only opened. The review of an application (the side-by-side page) shows the registry certificate
as page images, each loaded."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlparse

import pytest
from django.core.management import call_command
from django.urls import reverse

from .journey_pages import (
    PHONE,
    Journey,
    admin_sign_in,
    assert_accessible,
    assert_no_browser_errors,
    assert_no_english_words,
    assert_no_sideways_scroll,
    assert_reads_japanese,
    in_thread,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1366, "height": 900}
# The roles that take decisions, by their demo persona.
DECIDERS = ("reception", "operator", "manager", "admin")


class _Sink:
    def write(self, *args: Any, **kwargs: Any) -> None:
        pass

    def flush(self) -> None:
        pass


def _item_pages() -> list[str]:
    """The admin page of every item that can carry a decision."""
    from delegations.models import AnchorChange, Delegation, RevocationRequest, TrustAnchor
    from mynatrust.models import User
    from mynatrust.repository.models import DocumentVersion, Notice
    from registry.models import Subscriber
    from validity.models import RecipientOrganisation

    models = [Subscriber, Delegation, RevocationRequest, AnchorChange, TrustAnchor, DocumentVersion, Notice]
    models.append(RecipientOrganisation)
    urls = [
        reverse(f"admin:{m._meta.app_label}_{m._meta.model_name}_change", args=[pk])
        for m in models
        for pk in m._default_manager.order_by("pk").values_list("pk", flat=True)
    ]
    for kind in (User.Kind.STAFF, User.Kind.SUBSCRIBER):
        user = User.objects.filter(kind=kind).order_by("pk").first()
        if user is not None:
            urls.append(reverse("admin:mynatrust_user_change", args=[user.pk]))
    return urls


def _sign_in(page: Any, live_server: Any, user: Any) -> None:
    from mynatrust.management.commands.demo_setup import DEMO_PASSWORD

    page.context.clear_cookies()
    admin_sign_in(page, live_server, user, DEMO_PASSWORD)


def _decision_links(page: Any) -> list[str]:
    hrefs = page.eval_on_selector_all(
        ".decision-buttons a, .object-tools a", "els => els.map(e => e.getAttribute('href'))"
    )
    staff = [h for h in hrefs if h and urlparse(h).path.startswith("/staff-admin/")]  # not 「サイトで見る」
    return [h for h in staff if not h.rstrip("/").endswith(("history", "add"))]


def _shape(path: str) -> str:
    """A decision's kind: its address with the item's number taken out."""
    return re.sub(r"/\d+/", "/N/", path)


@pytest.fixture
def demo(settings: Any, tmp_path: Any) -> None:
    settings.DEMO_MODE = True
    settings.SIGNATURE_TEST_PKI_DIR = str(tmp_path / "testpki")
    settings.VALIDITY_SIGNING_KEY_FILE = str(tmp_path / "validity.pem")
    in_thread(_demo_setup)


def _demo_setup() -> None:
    from django.db import connection

    try:
        call_command("demo_setup", stdout=_Sink())
    finally:
        connection.close()


def assert_reads_japanese_without_english(page: Any, name: str) -> None:
    """Both checks of the text, both reported: no raw code or time, no English word."""
    found = []
    for check in (assert_reads_japanese, assert_no_english_words):
        try:
            check(page, name)
        except AssertionError as exc:
            found.append(str(exc))
    assert found == [], "; ".join(found)


def check_confirmation_page(journey: Journey, page: Any, name: str) -> None:
    page.wait_for_load_state()
    journey.pages += 1
    for width, size in ((1366, DESKTOP), (390, PHONE)):
        page.set_viewport_size(size)
        page.screenshot(path=journey.folder / f"{journey.pages:02d}-{name}-{width}.png", full_page=True)
        assert page.locator("h1").count() == 1, name
        assert page.locator('input[name="confirmation"]').count() == 1, f"{name}: no confirmation form"
        assert_no_browser_errors(page)
        assert_accessible(page, f"{name} at {width} px")
        assert_no_sideways_scroll(page, f"{name} at {width} px")
        assert_reads_japanese_without_english(page, f"{name} at {width} px")
    page.set_viewport_size(DESKTOP)


def test_every_confirmation_page_reads_at_both_widths(page: Any, live_server: Any, demo: None) -> None:
    from mynatrust.management.commands.demo_setup import demo_email
    from mynatrust.models import User

    journey = Journey("staff-decision-pages", page)
    page.set_viewport_size(DESKTOP)
    seen: dict[str, str] = {}
    problems: list[str] = []
    items = _item_pages()
    for persona in DECIDERS:
        user = User.objects.get(email=demo_email(persona))
        _sign_in(page, live_server, user)
        for item in items:
            opened = page.goto(f"{live_server.url}{item}")
            if opened is None or opened.status != 200:  # an item this role may not open
                continue
            for href in _decision_links(page):
                path = urlparse(href).path
                if _shape(path) in seen:
                    continue
                seen[_shape(path)] = persona
                page.console_messages.clear()  # the 403s of items this role may not open
                page.goto(f"{live_server.url}{path}")
                name = f"{persona}-" + re.sub(r"[^a-z]+", "-", _shape(path).split("staff-admin/")[-1]).strip("-")
                try:
                    check_confirmation_page(journey, page, name)
                except AssertionError as exc:  # every page is checked; all findings are listed at the end
                    problems.append(str(exc))
                    page.set_viewport_size(DESKTOP)
    assert problems == [], "\n\n".join(problems)
    kinds = sorted(seen)
    # Each kind of decision named in docs/staff-workspace.md is among them (a missed one means its
    # item never showed a button to the role that takes it).
    for expected in (
        "registry/subscriber/N/decide/approve/",
        "registry/subscriber/N/decide/return/",
        "registry/subscriber/N/decide/suspend/",
        "delegations/delegation/N/action/confirm/",
        "delegations/delegation/N/action/qualification/",
        "delegations/revocationrequest/N/decide/approve/",
        "delegations/anchorchange/N/decide/approve/",
        "documentversion/N/approve/",
        "validity/recipientorganisation/N/decide/approve/",
        "mynatrust/user/N/deactivate/",
    ):
        assert any(kind.endswith(expected) for kind in kinds), (expected, kinds)


def test_the_review_shows_the_certificate_as_page_images_beside_the_fields(
    page: Any, live_server: Any, demo: None
) -> None:
    from mynatrust.management.commands.demo_setup import demo_email
    from mynatrust.models import User
    from registry.models import RegistryEvidence

    evidence = RegistryEvidence.objects.filter(kind="pdf", facts__state="pending").order_by("pk").first()
    assert evidence is not None, "the demo has an application waiting with its certificate"
    subscriber = evidence.facts.subscriber
    journey = Journey("staff-review-evidence", page)
    _sign_in(page, live_server, User.objects.get(email=demo_email("reception")))
    page.goto(f"{live_server.url}{reverse('admin:registry_subscriber_decide', args=[subscriber.pk, 'approve'])}")
    pages = page.get_by_test_id("review-evidence").locator("img.evidence-page")
    assert pages.count() == evidence.page_count
    for i in range(pages.count()):
        pages.nth(i).scroll_into_view_if_needed()
        drawn = "img => img.complete && img.naturalWidth > 0"
        page.wait_for_function(drawn, arg=pages.nth(i).element_handle(), timeout=20_000)
    assert page.get_by_test_id("review-evidence").locator("iframe").count() == 0
    assert page.get_by_label("登記上の代表者氏名").input_value() == ""
    check_confirmation_page(journey, page, "review")
