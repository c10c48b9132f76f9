"""A recipient's members page in the browser, at desktop and phone widths, with the page checks of
the journeys (one <h1>, no console or CSP error, axe, keyboard): the administrator invites an
address, makes a colleague an administrator and removes another; an ordinary member sees the API
key page without the means to create or revoke keys."""

from __future__ import annotations

import re

import pytest

from mynatrust.tests.journey_pages import Journey
from validity.tests.test_browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [1366, 390])
def test_a_recipient_administrator_manages_members_in_the_browser(page, live_server, mailoutbox, width):
    from conftest import make_user
    from validity.models import RecipientInvitation, RecipientMember
    from validity.tests.conftest import make_organisation

    admin = make_user("admin@recipient.example.jp", "recipient", display_name="管理 太郎")
    organisation = make_organisation(admin)
    for email, name in (("kept@recipient.example.jp", "同僚 一郎"), ("gone@recipient.example.jp", "同僚 二郎")):
        user = make_user(email, "recipient", display_name=name)
        RecipientMember.objects.create(organisation=organisation, user=user, role=RecipientMember.Role.MEMBER)

    page.set_viewport_size({"width": width, "height": 900})
    journey = Journey(f"recipient-members-{width}", page)
    sign_in(page, live_server, admin.email)
    page.get_by_role("link", name="担当者と招待").click()
    page.wait_for_url(re.compile(r"/recipient/members/$"))
    journey.visit(page, "members")
    page.get_by_label("招待する担当者のメールアドレス").fill("new@recipient.example.jp")
    page.get_by_role("button", name="招待メールを送る").click()
    page.wait_for_url(re.compile(r"/recipient/members/$"))
    assert "new@recipient.example.jp" in page.get_by_role("main").inner_text()
    assert RecipientInvitation.objects.get().email == "new@recipient.example.jp"
    assert [m.to for m in mailoutbox] == [["new@recipient.example.jp"]]

    page.locator("form", has=page.get_by_role("button", name="同僚 一郎 さんの権限を変更")).get_by_label(
        "管理者"
    ).check()
    page.get_by_role("button", name="同僚 一郎 さんの権限を変更").click()
    page.wait_for_url(re.compile(r"/recipient/members/$"))
    assert "担当者の権限を変更しました" in page.content()
    assert RecipientMember.objects.get(user__email="kept@recipient.example.jp").is_administrator
    page.get_by_role("link", name="同僚 二郎 さんを外す").click()  # removing is confirmed on its own page
    page.wait_for_url(re.compile(r"/recipient/members/remove/"))
    journey.visit(page, "member-remove-confirm")
    page.get_by_label("外す理由").fill("退職")
    page.get_by_role("button", name="同僚 二郎 さんを外す").click()
    page.wait_for_url(re.compile(r"/recipient/members/$"))
    journey.visit(page, "member-removed")
    assert not RecipientMember.objects.filter(user__email="gone@recipient.example.jp").exists()

    # An ordinary member: the key page lists keys but offers neither creation nor revocation.
    page.context.clear_cookies()
    plain = make_user("plain@recipient.example.jp", "recipient", display_name="担当 三郎")
    RecipientMember.objects.create(organisation=organisation, user=plain, role=RecipientMember.Role.MEMBER)
    sign_in(page, live_server, "plain@recipient.example.jp")
    page.goto(f"{live_server.url}/recipient/keys/")
    journey.visit(page, "keys-as-member")
    assert "キーの作成と失効は管理者が行います" in page.content()
    assert page.get_by_role("button", name="作成する").count() == 0
