"""The whole registration in a real browser: the applicant applies with a PDF, reception signs in to
the admin with password and TOTP, reviews the application beside its evidence, approves, and the
applicant sees the active status."""

from __future__ import annotations

import re

import pytest

from conftest import PASSWORD, make_staff, make_user
from mynatrust.tests.journey_pages import admin_sign_in, confirm_every_nta_row

from .conftest import corporate_number, make_pdf

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def assert_clean(page) -> None:
    """One <h1>, no console errors (CSP violations are reported there), no uncaught errors."""
    assert page.locator("h1").count() == 1
    assert [m.text for m in page.console_messages if m.type == "error"] == []
    assert page.page_errors == []


def test_application_review_and_approval_end_to_end(page, browser, live_server, tmp_path):
    applicant = make_user("applicant@minato.example.jp", "subscriber", display_name="申込 花子")
    reception = make_staff("reception", "reception@staff.example.jp")
    number = corporate_number()
    pdf = tmp_path / "touki.pdf"
    pdf.write_bytes(make_pdf())

    # -- the applicant applies ---------------------------------------------------------------
    page.goto(f"{live_server.url}/app/login/")
    page.locator("#id_username").fill(applicant.email)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url(re.compile(r"/app/$"))
    assert_clean(page)
    page.get_by_role("link", name="利用申込をする").click()
    page.wait_for_url(re.compile(r"/app/apply/$"))
    assert_clean(page)
    # registry_apply.js shows only the field the chosen kind needs (the server checks either way).
    page.get_by_label("個人事業主").check()
    assert not page.get_by_label("法人番号（13桁）").is_visible()
    assert page.get_by_label("代表者の生年月日").is_visible()
    page.get_by_label("法人", exact=True).check()
    assert not page.get_by_label("代表者の生年月日").is_visible()
    page.get_by_label("商号（法人名）または屋号").fill("株式会社みなと商事")
    page.get_by_label("法人番号（13桁）").fill(f"{number[:1]}－{number[1:]}")
    page.get_by_label("本店または主たる事業所の所在地").fill("東京都港区芝公園一丁目2番3号")
    page.get_by_label("代表者の役職").fill("代表取締役")
    page.get_by_label("代表者の氏名").fill("山田 太郎")
    page.get_by_label("代表者の住所").fill("東京都世田谷区太子堂四丁目5番6号")
    page.get_by_label("代表者の電話番号").fill("03-1234-5678")
    page.get_by_label("登記事項証明書（PDF）").set_input_files(str(pdf))
    page.get_by_label("証明書の発行日（照会番号の取得日）").fill(_recent_date())
    page.get_by_label("利用約款に同意します").check()
    page.get_by_label(re.compile("反社会的勢力")).check()
    page.get_by_role("button", name="入力内容を確認する").click()
    page.wait_for_url(re.compile(r"/app/apply/$"))
    assert "touki.pdf" in page.get_by_test_id("confirm-list").inner_text()
    assert_clean(page)
    page.get_by_role("button", name="申し込む").click()
    page.wait_for_url(re.compile(r"/app/apply/done/$"))
    assert "利用申込を受け付けました" in page.content()
    assert page.get_by_test_id("subscriber-status").inner_text() == "申込受付"
    assert_clean(page)
    page.get_by_role("link", name="利用者メニューへ").click()
    page.wait_for_url(re.compile(r"/app/$"))

    # -- reception reviews in the admin (password, then TOTP) ----------------------------------
    staff_context = browser.new_context(locale="ja-JP")
    desk = staff_context.new_page()
    admin_sign_in(desk, live_server, reception)
    desk.goto(f"{live_server.url}/staff-admin/registry/subscriber/?queue=to_review")
    desk.get_by_role("link", name="株式会社みなと商事").click()
    assert desk.get_by_test_id("nta-status").inner_text() == "公表データなし"
    assert "法人番号が公表データにありません" in desk.get_by_test_id("nta-findings").inner_text()
    with desk.expect_popup() as popup:
        desk.get_by_test_id("evidence-link").click()
    evidence = popup.value
    assert evidence.url.endswith("/")
    evidence.close()
    desk.get_by_role("link", name="承認する").click()
    desk.wait_for_url(re.compile(r"/decide/approve/$"))
    # the evidence beside the fields, which are typed from it and never pre-filled from the application
    evidence_page = desk.get_by_test_id("review-evidence").locator("img.evidence-page").first
    evidence_page.scroll_into_view_if_needed()
    desk.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=evidence_page.element_handle())
    assert desk.get_by_label("登記上の代表者氏名").input_value() == ""
    desk.get_by_label("会社法人等番号（12桁）").fill(number[1:])
    desk.get_by_label("登記上の代表者氏名").fill("山田 太郎")
    desk.get_by_label("登記上の代表者住所").fill("東京都世田谷区太子堂四丁目5番6号")
    confirm_every_nta_row(desk)
    desk.get_by_role("button", name="承認する").click()
    desk.wait_for_url(re.compile(r"/registry/subscriber/\d+/change/$"))
    assert "承認しました" in desk.content()
    staff_context.close()

    # -- the applicant sees the decision -----------------------------------------------------
    page.reload()
    assert page.get_by_test_id("subscriber-status").inner_text() == "利用中"
    assert "電子委任状を登録できます" in page.content()
    assert_clean(page)


def _recent_date() -> str:
    from datetime import timedelta

    from django.utils import timezone

    return (timezone.localdate() - timedelta(days=7)).isoformat()
