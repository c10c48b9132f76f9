"""A new staff member follows the invitation link in a browser: sets their own password, enrols
their own authenticator, reaches the admin. At desktop and phone widths, with the page checks of
the journeys (one <h1>, no console or CSP error, axe, keyboard)."""

from __future__ import annotations

import base64
import re

import pytest
from django_otp.oath import totp

from mynatrust.tests.journey_pages import Journey

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
NEW_PASSWORD = "my-own-secret-passphrase-2026"


@pytest.mark.parametrize("width", [1366, 390])
def test_a_new_staff_member_onboards_through_the_invitation_link(page, live_server, mailoutbox, width, settings):
    from conftest import make_staff, suitable
    from mynatrust import staff
    from mynatrust.roles import Role

    settings.SERVICE_BASE_URL = live_server.url
    manager = make_staff("service_manager", "boss@staff.example.jp")
    staff.appoint_staff(
        "newop@staff.example.jp",
        Role.SERVICE_OPERATOR,
        actor=manager,
        display_name="新任 運用者",
        suitability=suitable(manager, "新任 運用者", "service_operator"),
    )
    [message] = mailoutbox
    match = re.search(r"https?://\S+/invitation/\S+/", str(message.body))
    assert match
    link = match.group(0)

    page.set_viewport_size({"width": width, "height": 900})
    journey = Journey(f"staff-onboarding-{width}", page)
    page.goto(link)
    journey.visit(page, "invitation")
    assert page.locator("h1").inner_text() == "職員アカウントの設定"
    page.locator("#id_password1").fill(NEW_PASSWORD)
    page.locator("#id_password2").fill(NEW_PASSWORD)
    page.get_by_role("button", name="次へ").click()
    page.wait_for_url(re.compile(r"/otp/setup/$"))
    journey.visit(page, "otp-setup")
    secret = page.locator("#totp-secret").inner_text()
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    page.locator("#id_token").fill(f"{totp(key):06d}")
    page.get_by_role("button", name="登録する").click()
    page.wait_for_url(re.compile(r"/staff-admin/$"))
    journey.visit(page, "admin-home")
    # The link is spent.
    page.goto(link)
    assert "無効" in page.content()
