from __future__ import annotations

import re

import pytest

from conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def assert_clean(page) -> None:
    """One <h1>, no console errors (CSP violations are reported there), no uncaught errors."""
    assert page.locator("h1").count() == 1
    errors = [m.text for m in page.console_messages if m.type == "error"]
    assert errors == []
    assert page.page_errors == []


def test_a_subscriber_signs_up_confirms_the_address_and_reaches_the_member_area(page, live_server, mailoutbox):
    page.goto(f"{live_server.url}/")
    assert_clean(page)
    page.get_by_role("link", name="利用者（委任する事業者）として登録").click()
    assert_clean(page)
    page.locator("#id_username, #id_email").first.fill("taro@example.jp")
    page.get_by_label("氏名").fill("山田 太郎")
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.get_by_role("button", name="登録する").click()
    page.wait_for_url(re.compile(r"/app/signup/sent/$"))
    assert_clean(page)

    assert len(mailoutbox) == 1
    link = re.search(r"https?://\S+/signup/confirm/\S+/", mailoutbox[0].body)
    assert link
    page.goto(link.group(0))
    assert_clean(page)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="登録を完了する").click()
    page.wait_for_url(re.compile(r"/app/login/"))
    assert "メールアドレスを確認しました" in page.content()

    page.locator("#id_username, #id_email").first.fill("taro@example.jp")
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url(re.compile(r"/app/$"))
    assert page.locator("h1").inner_text() == "利用者メニュー"
    assert "ようこそ、山田 太郎 様" in page.content()
    assert_clean(page)
    # Keyboard users reach the content straight away.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent").strip() == "本文へ移動"
