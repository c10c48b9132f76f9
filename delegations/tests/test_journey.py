"""The whole delegation journey in a real browser: draft → download → test-card signing →
upload → active → update → the old ID superseded → revoke. Every page: one <h1>, no console errors
(CSP violations are reported there), no uncaught errors."""

from __future__ import annotations

import re
from typing import Any

import pytest

from conftest import PASSWORD
from delegations.models import Delegation
from mynatrust.lib.delegation_id import in_file_name

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def assert_clean(page: Any) -> None:
    assert page.locator("h1").count() == 1
    assert [m.text for m in page.console_messages if m.type == "error"] == []
    assert page.page_errors == []


def assert_accessible(page: Any) -> None:
    """No serious or critical axe-core finding (run offline in the page)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    serious = [v["id"] for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == [], [(v["id"], [n["html"] for n in v["nodes"]]) for v in results.response["violations"]]


def sign_and_upload(page: Any, tmp_path: Any, role: str) -> None:
    """Sign with the test card (a download), then upload that very file through the form."""
    with page.expect_download() as download:
        page.get_by_test_id(f"test-card-{role}").click()
    signed = tmp_path / f"{role}-{download.value.suggested_filename}"
    download.value.save_as(signed)
    assert signed.read_bytes().startswith(b"%PDF")
    form = page.get_by_test_id(f"upload-{role}")
    form.locator(f"#id_{role}_file").set_input_files(str(signed))
    form.get_by_role("button", name="アップロードして検証する").click()
    page.wait_for_load_state()
    assert_clean(page)


def finalise_sign_and_submit(page: Any, tmp_path: Any) -> str:
    page.get_by_role("button", name="確定する").click()
    page.wait_for_load_state()
    assert_clean(page)
    assert_accessible(page)  # the page with downloads, test cards and both upload forms
    delegation_id = page.get_by_test_id("delegation-id").inner_text()
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z*~$=]{2}", delegation_id)
    with page.expect_download() as pdf:
        page.get_by_test_id("download-delegation-pdf").click()
    assert pdf.value.suggested_filename == f"delegation-{in_file_name(delegation_id)}.pdf"
    sign_and_upload(page, tmp_path, "principal")
    assert "署名を確認し、保存しました" in page.content()
    sign_and_upload(page, tmp_path, "agent")
    assert "現在の状態は「有効」です" in page.content()
    assert page.get_by_test_id("delegation-status").inner_text() == "有効"
    return delegation_id


def test_draft_sign_upload_update_supersede_and_revoke_in_a_browser(
    page: Any, live_server: Any, subscriber: Any, member: Any, trusted_pki: Any, tmp_path: Any
) -> None:
    page.goto(f"{live_server.url}/app/login/")
    page.locator("#id_username").fill(member.email)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url(re.compile(r"/app/$"))
    page.get_by_role("link", name="電子委任状", exact=True).click()
    page.wait_for_url(re.compile(r"/app/delegations/$"))
    assert_clean(page)

    # -- draft: the principal is shown from the register, not editable ---------------------------
    with page.expect_navigation():
        page.get_by_role("link", name="新しい電子委任状を作成する").click()
    assert_clean(page)
    assert "代表 太郎" in page.get_by_test_id("principal").inner_text()
    assert_accessible(page)
    page.get_by_label("受任者の氏名").fill("受任 花子")
    page.get_by_label("受任者の役職").fill("営業部長")
    page.get_by_label("受任者の住所").fill("大阪府大阪市北区中之島一丁目3番20号")
    page.locator("#id_agent_identifier").fill("E-1001")
    page.get_by_label("代理権の内容").fill("物品購入契約の締結\n請求書の受領")
    page.get_by_label("委任期間の始期").fill("2026-12-01")
    page.get_by_label("委任期間の終期").fill("2027-11-30")
    save_draft(page)
    assert page.get_by_test_id("delegation-status").inner_text() == "下書き"

    # -- finalise, download, sign with test cards, upload: active --------------------------------
    first_id = finalise_sign_and_submit(page, tmp_path)
    first_url = page.url

    # -- update: a new draft, a new ID; the old one is superseded on activation --------------------
    page.get_by_test_id("start-update").click()
    page.wait_for_load_state()
    assert_clean(page)
    page.get_by_label("代理権の内容").fill("物品購入契約の締結（1件 300 万円以下）")
    save_draft(page)
    second_id = finalise_sign_and_submit(page, tmp_path)
    assert second_id != first_id
    second_url = page.url
    page.goto(first_url)
    assert_clean(page)
    assert page.get_by_test_id("delegation-status").inner_text() == "変更により失効"
    assert second_id in page.content()

    # -- revoke the new one ------------------------------------------------------------------
    page.goto(second_url)
    with page.expect_navigation():
        page.get_by_test_id("revoke-link").click()
    assert_clean(page)
    page.get_by_label("取消の理由").fill("担当者の退職のため")
    page.get_by_role("button", name="取り消す").click()
    page.wait_for_load_state()
    assert_clean(page)
    assert page.get_by_test_id("delegation-status").inner_text() == "取消し済み"

    statuses = dict(Delegation.objects.values_list("delegation_id", "status"))
    assert statuses == {first_id: "superseded", second_id: "revoked"}
    with page.expect_navigation():
        page.get_by_role("link", name="電子委任状の一覧").click()
    assert_clean(page)
    assert_accessible(page)
    assert first_id in page.content() and second_id in page.content()


def save_draft(page) -> None:
    """入力 → 確認 → 完了: the values restated, the draft saved, then its page."""
    page.get_by_role("button", name="入力内容を確認する").click()
    page.wait_for_load_state()
    assert_clean(page)
    assert page.get_by_test_id("confirm-list").is_visible()
    page.get_by_role("button", name="下書きを保存する").click()
    page.wait_for_url(re.compile(r"/saved/$"))
    assert_clean(page)
    page.get_by_test_id("to-detail").click()
    page.wait_for_url(re.compile(r"/app/delegations/[^/]+/$"))
    assert_clean(page)
