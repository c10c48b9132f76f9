"""The members page of an administrator, at desktop and phone widths, with the page checks of the
journeys (one <h1>, no console or CSP error, axe, keyboard): allow a colleague to revoke, then
remove them."""

from __future__ import annotations

import re

import pytest

from conftest import PASSWORD
from mynatrust.tests.journey_pages import Journey

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [1366, 390])
def test_an_administrator_manages_members_in_the_browser(page, live_server, active, subscriber_member, width):
    from conftest import make_user
    from registry.models import Membership

    colleague = make_user("colleague@subscriber-a.example.jp", "subscriber", display_name="同僚 一郎")
    Membership.objects.create(user=colleague, subscriber=active, role=Membership.Role.MEMBER)

    page.set_viewport_size({"width": width, "height": 900})
    journey = Journey(f"member-roles-{width}", page)
    page.goto(f"{live_server.url}/app/login/")
    page.locator("#id_username, #id_email").first.fill(subscriber_member.email)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url(re.compile(r"/app/"))
    page.goto(f"{live_server.url}/app/members/")
    journey.visit(page, "members")
    page.get_by_label("電子委任状を取り消せる").check()
    page.get_by_role("button", name="同僚 一郎 さんの権限を変更").click()
    page.wait_for_url(re.compile(r"/app/members/$"))
    assert "担当者の権限を変更しました" in page.content()
    assert Membership.objects.get(user=colleague).may_revoke
    page.get_by_role("link", name="同僚 一郎 さんを外す").click()  # removing is confirmed on its own page
    page.wait_for_url(re.compile(r"/app/members/remove/"))
    journey.visit(page, "member-remove-confirm")
    page.get_by_label("外す理由").fill("退職")
    page.get_by_role("button", name="同僚 一郎 さんを外す").click()
    page.wait_for_url(re.compile(r"/app/members/$"))
    journey.visit(page, "member-removed")
    assert not Membership.objects.filter(user=colleague).exists()
