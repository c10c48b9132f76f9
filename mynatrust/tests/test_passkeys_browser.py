"""A new staff member enrols a passkey from the invitation link and signs in with it, in Chromium
with a virtual authenticator (the DevTools protocol's WebAuthn domain: a platform authenticator
that holds its keys and answers without a person). At desktop and phone widths, with the page
checks of the journeys (one <h1>, no console or CSP error, axe, keyboard)."""

from __future__ import annotations

import re

import pytest

from mynatrust.tests.journey_pages import Journey

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
NEW_PASSWORD = "my-own-secret-passphrase-2026"


def add_virtual_authenticator(page):
    session = page.context.new_cdp_session(page)
    session.send("WebAuthn.enable")
    added = session.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return session, added["authenticatorId"]


@pytest.mark.parametrize("width", [1366, 390])
def test_a_new_staff_member_enrols_a_passkey_and_signs_in_with_it(page, live_server, mailoutbox, width, settings):
    from django_otp_webauthn.models import WebAuthnCredential

    from audit.models import AuditEvent
    from conftest import make_staff, suitable
    from mynatrust import staff
    from mynatrust.roles import Role

    assert live_server.url.startswith("http://localhost:")  # a passkey needs a domain, not an address
    settings.SERVICE_BASE_URL = live_server.url
    settings.OTP_WEBAUTHN_RP_ID = "localhost"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [live_server.url]
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

    page.set_viewport_size({"width": width, "height": 900})
    session, authenticator = add_virtual_authenticator(page)
    journey = Journey(f"staff-passkey-{width}", page)
    page.goto(match.group(0))
    page.locator("#id_password1").fill(NEW_PASSWORD)
    page.locator("#id_password2").fill(NEW_PASSWORD)
    page.get_by_role("button", name="次へ").click()
    page.wait_for_url(re.compile(r"/otp/setup/$"))
    journey.visit(page, "otp-setup")
    page.get_by_role("button", name="パスキーを登録する").click()
    page.wait_for_url(re.compile(r"/staff-admin/$"))
    journey.visit(page, "admin-home")
    [credential] = session.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"]
    assert credential["isResidentCredential"] is True
    assert WebAuthnCredential.objects.filter(user__email="newop@staff.example.jp").count() == 1

    page.get_by_role("link", name="パスキー", exact=True).click()
    page.wait_for_url(re.compile(r"/otp/passkeys/$"))
    journey.visit(page, "passkeys")
    assert "パスキー 1" in page.get_by_role("table", name="登録済みのパスキー").inner_text()

    # Next sign-in: the password, then the passkey.
    page.locator("#logout-form button").click()
    page.goto(live_server.url + "/staff-admin/login/")
    page.locator("#id_username").fill("newop@staff.example.jp")
    page.locator("#id_password").fill(NEW_PASSWORD)
    page.locator("#id_password").press("Enter")
    page.wait_for_url(re.compile(r"/otp/verify/"))
    journey.visit(page, "otp-verify")
    page.get_by_role("button", name="パスキーで確認する").click()
    page.wait_for_url(re.compile(r"/staff-admin/$"))
    assert page.locator("h1").count() == 1
    verified = AuditEvent.objects.filter(event_type="auth.otp_verified")
    assert [e.data.get("device") for e in verified] == ["passkey"]
    assert AuditEvent.objects.filter(event_type="auth.otp_enrolled").count() == 1
