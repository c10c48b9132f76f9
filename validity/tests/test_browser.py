"""The recipient's path in a real browser: sign in, register, get approved, create a key, check an
ID (with a held file) and see an answer that cannot be misread, with its signed record."""

from __future__ import annotations

import re

import pytest

from conftest import PASSWORD, make_user
from mynatrust.lib import delegation_id as ids

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def assert_clean(page) -> None:
    """One <h1>, no console errors (CSP violations are reported there), no uncaught errors."""
    assert page.locator("h1").count() == 1
    assert [m.text for m in page.console_messages if m.type == "error"] == []
    assert page.page_errors == []


def assert_accessible(page) -> None:
    """No serious or critical axe-core finding (run offline in the page)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    serious = [v["id"] for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == []


def sign_in(page, live_server, email: str) -> None:
    page.goto(f"{live_server.url}/recipient/login/")
    page.locator("#id_username").fill(email)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url(re.compile(r"/recipient/$"))


def test_a_recipient_registers_creates_a_key_and_checks_an_id(page, live_server, tmp_path):
    from validity import services
    from validity.models import RecipientOrganisation

    user = make_user("browser@recipient.example.jp", "recipient")
    sign_in(page, live_server, user.email)
    assert_clean(page)
    page.get_by_role("link", name="受領者等の登録をする").click()
    page.get_by_label("法人・団体").check()
    page.get_by_label("名称（法人名・屋号）").fill("株式会社ブラウザ受領")
    page.get_by_label("所在地").fill("東京都千代田区丸の内1-1-1")
    page.get_by_label("代表者の役職").fill("代表取締役")
    page.get_by_label("代表者の氏名").fill("受領 一郎")
    page.get_by_label("代表者の住所").fill("東京都港区芝公園1-1-1")
    page.get_by_label("申請者の氏名").fill("確認 次郎")
    page.get_by_role("button", name="入力内容を確認する").click()
    page.wait_for_url(re.compile(r"/recipient/register/$"))
    assert "株式会社ブラウザ受領" in page.get_by_test_id("confirm-list").inner_text()
    page.get_by_role("button", name="登録を申請する").click()
    page.wait_for_url(re.compile(r"/recipient/register/done/$"))
    assert page.get_by_test_id("recipient-status").inner_text() == "承認待ち"
    assert_clean(page)

    services.approve_recipient(RecipientOrganisation.objects.get(), actor=make_user("r@staff.example.jp", "staff"))

    page.goto(f"{live_server.url}/recipient/keys/")
    page.get_by_label("キーの名前").fill("基幹システム")
    page.get_by_role("button", name="作成する").click()
    key = page.get_by_test_id("api-key").input_value()
    assert re.fullmatch(r"mtv_[0-9a-f]{12}_[0-9a-f]{64}", key)
    page.get_by_role("button", name="コピー").wait_for(state="visible")  # the small script enhanced the page
    assert_clean(page)

    delegation_id = ids.generate()
    held = tmp_path / "委任状.pdf"
    held.write_bytes(b"%PDF-1.7 held by the recipient")
    page.goto(f"{live_server.url}/recipient/check/")
    assert_clean(page)
    assert_accessible(page)
    page.get_by_label("電子委任状 ID").fill(ids.compact(delegation_id).lower())
    page.get_by_label("お手元の電子委任状ファイル（任意）").set_input_files(str(held))
    page.get_by_role("button", name="確認する").click()
    # The answer's own address, loaded: its stylesheet too. The answer's text is there before its
    # stylesheet, and a style read then is the unstyled 16 px, which nobody sees (the stylesheet
    # holds the first paint back).
    page.wait_for_url(re.compile(r"/recipient/checks/\w+/$"))
    answer = page.get_by_test_id("validity-answer")
    assert page.get_by_test_id("status-word").inner_text() == "該当なし"
    assert answer.get_attribute("data-status") == "unknown"
    assert delegation_id in answer.inner_text()
    assert "確認日時" in answer.inner_text()
    # The status is large and coloured (by the stylesheet, not inline styles).
    size = page.get_by_test_id("status-word").evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    assert size >= 40
    with page.expect_download() as download:
        page.get_by_test_id("jws-download").click()
    token = download.value.path().read_text(encoding="ascii")
    assert token.count(".") == 2
    assert_clean(page)
    assert_accessible(page)


def test_a_typo_is_explained_on_the_form(page, live_server):
    from .conftest import make_organisation

    user = make_user("typo@recipient.example.jp", "recipient")
    make_organisation(user)
    sign_in(page, live_server, user.email)
    page.goto(f"{live_server.url}/recipient/check/")
    page.get_by_label("電子委任状 ID").fill("7K3Q-9XWA-2M4P-HK")
    page.get_by_role("button", name="確認する").click()
    page.wait_for_load_state()
    assert "入力の誤り" in page.content()
    assert_clean(page)
