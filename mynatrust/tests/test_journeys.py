"""The service's journeys in a real browser, each from a fresh database, through the pages people use.

Every page visited is screenshotted (``test-artifacts/screenshots/<journey>/``) and checked by
``journey_pages.Journey.visit``: one <h1>, no browser errors or CSP violations, no serious or
critical axe-core violation, a working skip link and a visible focus indicator on every control of
the main content. The recipient's journey and the revocation are done with the keyboard alone
(Tab, Shift+Tab, Space, Enter and typing). Only what no journey covers is set up in code: staff
accounts, the trusted test PKI, and the earlier journeys' results that a later journey starts from.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from conftest import PASSWORD, make_staff, make_user
from delegations.tests import lifecycle
from delegations.tests.lifecycle import make_finalised, make_subscriber, signed_pair

from .journey_pages import (
    Journey,
    click_through,
    confirm_every_nta_row,
    in_thread,
    open_in_admin,
    press_on,
    sign_in,
    staff_sign_in,
    tab_to,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _journey_settings(settings: Any, tmp_path: Any) -> None:
    import uuid

    from audit import signing as audit_signing
    from validity import signing as validity_signing

    checkpoint_key = tmp_path / "audit-checkpoint.pem"
    checkpoint_key.write_bytes(audit_signing.generate_private_key_pem())
    settings.AUDIT_CHECKPOINT_KEY_PATH = str(checkpoint_key)
    settings.AUDIT_SEALER = "off"  # verification seals what is pending, as the sequencer would
    settings.VALIDITY_SIGNING_KEY_FILE = str(tmp_path / "validity-signing.pem")
    validity_signing.generate_key_file(tmp_path / "validity-signing.pem")
    settings.VALIDITY_PUBLISHED_KEY_FILES = []
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/7",
            "KEY_PREFIX": f"journey-{uuid.uuid4().hex}",
        }
    }


def test_a_corporation_applies_and_reception_approves_it(
    page: Any, browser: Any, live_server: Any, tmp_path: Any, mailoutbox: Any
) -> None:
    from django.utils import timezone

    from registry.tests.conftest import corporate_number, make_pdf

    journey = Journey("a-application", page)
    reception = make_staff("reception", "reception@staff.example.jp")
    number = corporate_number()
    evidence = tmp_path / "touki.pdf"
    evidence.write_bytes(make_pdf())

    # -- sign-up and e-mail confirmation -------------------------------------------------------
    page.goto(f"{live_server.url}/")
    journey.visit(page, "home")
    click_through(journey, page, page.get_by_role("link", name="利用者（委任する事業者）として登録"), "signup")
    page.locator("#id_email").fill("taro@minato.example.jp")
    page.get_by_label("氏名").fill("山田 太郎")
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.get_by_role("button", name="登録する").click()
    page.wait_for_url(re.compile(r"/app/signup/sent/$"))
    journey.visit(page, "signup-sent")
    assert len(mailoutbox) == 1
    link = re.search(r"https?://\S+/signup/confirm/\S+/", mailoutbox[0].body)
    assert link
    page.goto(link.group(0))
    journey.visit(page, "signup-confirm")
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="登録を完了する").click()
    page.wait_for_url(re.compile(r"/app/login/"))
    journey.visit(page, "login-confirmed")
    assert "メールアドレスを確認しました" in page.content()
    page.locator("#id_username").fill("taro@minato.example.jp")
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url(re.compile(r"/app/$"))
    journey.visit(page, "menu-new")

    # -- the application with its registry evidence ----------------------------------------------
    page.get_by_role("link", name="利用申込をする").click()
    page.wait_for_url(re.compile(r"/app/apply/$"))
    journey.visit(page, "apply")
    page.get_by_label("法人", exact=True).check()
    page.get_by_label("商号（法人名）または屋号").fill("株式会社みなと商事")
    page.get_by_label("法人番号（13桁）").fill(number)
    page.get_by_label("本店または主たる事業所の所在地").fill("東京都港区芝公園一丁目2番3号")
    page.get_by_label("代表者の役職").fill("代表取締役")
    page.get_by_label("代表者の氏名").fill("山田 太郎")
    page.get_by_label("代表者の住所").fill("東京都世田谷区太子堂四丁目5番6号")
    page.get_by_label("代表者の電話番号").fill("03-1234-5678")
    page.get_by_label("登記事項証明書（PDF）").set_input_files(str(evidence))
    page.get_by_label("証明書の発行日（照会番号の取得日）").fill((timezone.localdate() - timedelta(days=7)).isoformat())
    page.get_by_label("利用約款に同意します").check()
    page.get_by_label(re.compile("反社会的勢力")).check()
    # 入力 → 確認 → 完了: every value and the file restated, 修正する back to the filled form with the
    # file kept, then the receipt with its 受付番号 and the 申込受付票.
    click_through(journey, page, page.get_by_role("button", name="入力内容を確認する"), "apply-confirm")
    confirm = page.get_by_test_id("confirm-list").inner_text()
    assert "株式会社みなと商事" in confirm and "touki.pdf" in confirm and "1ページ" in confirm
    click_through(journey, page, page.get_by_role("button", name="修正する"), "apply-edit")
    assert page.get_by_label("代表者の氏名").input_value() == "山田 太郎"
    assert page.get_by_text("選択済みのファイル「touki.pdf」").is_visible()
    click_through(journey, page, page.get_by_role("button", name="入力内容を確認する"), "apply-confirm-again")
    press_on(journey, page, "申し込む", r"/app/apply/done/$", "apply-done")
    assert page.get_by_test_id("reception-number").inner_text().startswith("A-")
    assert page.get_by_test_id("receipt-pdf").is_visible()
    click_through(journey, page, page.get_by_role("link", name="利用者メニューへ"), "menu-applied")
    assert page.get_by_test_id("subscriber-status").inner_text() == "申込受付"

    # -- reception reviews in the admin -----------------------------------------------------------
    desk = open_in_admin(journey, browser, live_server, reception, "利用者", "株式会社みなと商事", "admin-subscriber")
    click_through(journey, desk, desk.get_by_role("link", name="承認する"), "admin-subscriber-approve")
    desk.get_by_label("会社法人等番号（12桁）").fill(number[1:])
    desk.get_by_label("登記上の代表者氏名").fill("山田 太郎")
    desk.get_by_label("登記上の代表者住所").fill("東京都世田谷区太子堂四丁目5番6号")
    confirm_every_nta_row(desk)
    desk.get_by_role("button", name="承認する").click()
    desk.wait_for_url(re.compile(r"/staff-admin/registry/subscriber/\d+/change/$"))
    journey.visit(desk, "admin-approved")
    assert "承認しました" in desk.content()
    desk.context.close()

    page.reload()
    journey.visit(page, "menu-active")
    assert page.get_by_test_id("subscriber-status").inner_text() == "利用中"

    # -- a change of the phone number (変更届): 入力 → 確認 → 完了, in force at once ------------------
    click_through(journey, page, page.get_by_role("link", name="登録内容と変更の届出"), "info")
    click_through(journey, page, page.get_by_role("link", name="登録内容の変更を届け出る"), "change")
    page.get_by_label("代表者の電話番号").fill("090-1234-5678")
    click_through(journey, page, page.get_by_role("button", name="入力内容を確認する"), "change-confirm")
    assert "09012345678" in page.get_by_test_id("confirm-list").inner_text()
    click_through(journey, page, page.get_by_role("button", name="届け出る"), "change-done")
    assert "登録内容を変更しました" in page.content()


# --- the delegation and the people who rely on it ----------------------------------------------


trusted_pki = lifecycle.trusted_pki  # the test PKI trusted in the database, as in the demo


@pytest.fixture(scope="module")
def test_pki() -> Any:
    from delegations.signatures.testpki import TestPKI

    return TestPKI.generate()


@pytest.fixture
def member(db: None) -> Any:
    return make_user("keiri@daihyo.example.jp", "subscriber", display_name="経理 一子")


@pytest.fixture
def subscriber(member: Any, trusted_pki: Any) -> Any:
    """An approved corporation (journey a) whose registered representative holds the test card."""
    return make_subscriber(member)


@pytest.fixture
def active(subscriber: Any, member: Any, trusted_pki: Any) -> Any:
    """A stored, active delegation (journey b)."""
    from delegations import services

    delegation = make_finalised(subscriber, member)
    principal, agent = in_thread(signed_pair, delegation, trusted_pki)
    services.submit_signed_file(delegation, principal, actor=member, role="principal")
    services.submit_signed_file(delegation, agent, actor=member, role="agent")
    delegation.refresh_from_db()
    assert delegation.status == "active"
    return delegation


def sign_with_test_cards(
    journey: Journey, page: Any, tmp_path: Any, step: str, *, browser: Any = None, mailoutbox: Any = None
) -> str:
    """Finalise the draft on screen, sign both files with the test cards, upload them: active. With
    ``browser``, the acceptance is first mailed to the agent, who opens the link in their own browser."""
    click_through(journey, page, page.get_by_role("button", name="確定する"), f"{step}-finalised")
    delegation_id = page.get_by_test_id("delegation-id").inner_text()
    assert page.locator("[data-testid=steps] [aria-current=step]").inner_text().endswith("代表者の署名")
    if step == "first":  # how a representative signs with a real card
        detail_url = page.url
        page.get_by_test_id("card-guide-link").click()
        page.wait_for_url(re.compile(r"/guide/card-signing/$"))
        journey.visit(page, "card-guide")
        assert "python -m delegations.cardsign" in page.content()
        page.goto(detail_url)
    if browser is not None:
        page.get_by_label("受任者のメールアドレス").fill("hanako@agent.example.jp")
        click_through(journey, page, page.get_by_role("button", name="受諾書のリンクを送る"), f"{step}-acceptance-sent")
        assert "hanako@agent.example.jp に受諾書のリンクを送りました" in page.content()
        link = re.search(r"https?://[^/\s]+(/\S+/acceptance/\S+/)", mailoutbox[-1].body)
        assert link and mailoutbox[-1].to == ["hanako@agent.example.jp"]
        agent = journey.new_page(browser)
        agent.goto(page.url.split("/app/")[0] + link.group(1))  # the mail names the configured host
        journey.visit(agent, f"{step}-acceptance-link")
        with agent.expect_download() as download:
            agent.get_by_test_id("acceptance-link-pdf").click()
        assert download.value.suggested_filename.startswith("acceptance-")
        agent.context.close()
    for role, done in (("principal", "署名を確認し、保存しました"), ("agent", "現在の状態は「有効」です")):
        with page.expect_download() as download:
            page.get_by_test_id(f"test-card-{role}").click()
        signed = tmp_path / f"{step}-{role}-{download.value.suggested_filename}"
        download.value.save_as(signed)
        form = page.get_by_test_id(f"upload-{role}")
        form.locator(f"#id_{role}_file").set_input_files(str(signed))
        click_through(
            journey, page, form.get_by_role("button", name="アップロードして検証する"), f"{step}-{role}-signed"
        )
        assert done in page.content()
    assert page.get_by_test_id("delegation-status").inner_text() == "有効"
    assert page.locator("[data-testid=steps] .done").count() == 5
    return delegation_id


def test_b_a_delegation_is_drafted_signed_with_the_test_cards_and_stored(
    page: Any, browser: Any, live_server: Any, subscriber: Any, member: Any, tmp_path: Any, mailoutbox: Any
) -> None:
    from delegations.models import Delegation

    journey = Journey("b-delegation", page)
    sign_in(journey, page, live_server, "app", member.email)
    journey.visit(page, "menu")
    page.get_by_role("link", name="電子委任状", exact=True).click()
    page.wait_for_url(re.compile(r"/app/delegations/$"))
    journey.visit(page, "delegations-empty")
    page.get_by_role("link", name="新しい電子委任状を作成する").click()
    page.wait_for_url(re.compile(r"/new/$"))
    journey.visit(page, "draft-new")
    page.get_by_label("受任者の氏名").fill("受任 花子")
    page.get_by_label("受任者の役職").fill("営業部長")
    page.get_by_label("受任者の住所").fill("大阪府大阪市北区中之島一丁目3番20号")
    page.locator("#id_agent_identifier").fill("E-1001")
    page.get_by_label("代理権の内容").fill("物品購入契約の締結\n請求書の受領")
    page.get_by_label("委任期間の始期").fill(date.today().isoformat())
    page.get_by_label("委任期間の終期").fill((date.today() + timedelta(days=365)).isoformat())
    # 入力 → 確認 → 完了: the values restated, then the saved draft and the way to its page.
    click_through(journey, page, page.get_by_role("button", name="入力内容を確認する"), "draft-confirm")
    assert "受任 花子" in page.get_by_test_id("confirm-list").inner_text()
    click_through(journey, page, page.get_by_role("button", name="下書きを保存する"), "draft-done")
    click_through(journey, page, page.get_by_test_id("to-detail"), "draft-saved")
    assert page.get_by_test_id("delegation-status").inner_text() == "下書き"
    assert page.locator("[data-testid=steps] [aria-current=step]").inner_text().endswith("確定")

    delegation_id = sign_with_test_cards(journey, page, tmp_path, "first", browser=browser, mailoutbox=mailoutbox)
    # The printed validity URL opened in a browser: a page that says how to check, not JSON.
    detail_url = page.url
    page.goto(f"{live_server.url}/api/v1/delegations/{delegation_id}/validity")
    journey.visit(page, "validity-url")
    assert delegation_id in page.get_by_test_id("validity-url-id").inner_text()
    page.goto(detail_url)
    page.get_by_role("link", name="電子委任状の一覧").click()
    page.wait_for_url(re.compile(r"/app/delegations/$"))
    journey.visit(page, "delegations-stored")
    assert delegation_id in page.content()
    stored = Delegation.objects.get()
    assert (stored.status, stored.agent_name) == ("active", "受任 花子")
    assert stored.signed_files.count() == 2

    # A draft nobody wants any more is deleted after a confirmation; the list goes out as CSV. While
    # there is a draft, the list says how long an untouched one is kept (docs/retention.md).
    lifecycle.make_draft(subscriber, member, agent_name="削除 予定")
    page.reload()
    journey.visit(page, "delegations-with-draft")
    notice = page.get_by_test_id("draft-retention").inner_text()
    assert (
        notice
        == "保存したまま 6 か月変更のない下書きは、自動的に削除されます。削除の 14 日以上前に、メールでお知らせします。"
    )
    click_through(journey, page, page.get_by_role("link", name="（下書き）"), "draft-to-delete")
    click_through(journey, page, page.get_by_test_id("delete-draft"), "delete-confirm")
    click_through(journey, page, page.get_by_role("button", name="削除する"), "draft-deleted")
    assert "下書きを削除しました" in page.content()
    with page.expect_download() as exported:
        page.get_by_test_id("export-csv").click()
    assert exported.value.suggested_filename.endswith(".csv")
    assert delegation_id in Path(exported.value.path()).read_text(encoding="utf-8-sig")


def test_c_a_recipient_registers_is_approved_and_checks_the_id_by_api_and_by_form(
    page: Any, browser: Any, live_server: Any, active: Any, mailoutbox: Any
) -> None:
    """The recipient's part is done with the keyboard alone (Tab, Shift+Tab, Space, Enter, typing)."""
    journey = Journey("c-recipient", page)
    reception = make_staff("reception", "reception@staff.example.jp")
    keys = page.keyboard
    email = "kakunin@torihiki.example.jp"

    page.goto(f"{live_server.url}/")
    journey.visit(page, "home")
    press_on(journey, page, "受領者等（電子委任状を受け取る方）として登録", r"/recipient/signup/$", "signup")
    tab_to(page, "メールアドレス")
    keys.type(email)
    tab_to(page, "氏名")
    keys.type("確認 次郎")
    keys.press("Tab")
    keys.type(PASSWORD)
    keys.press("Tab")
    keys.type(PASSWORD)
    press_on(journey, page, "登録する", r"/signup/sent/$", "signup-sent")
    link = re.search(r"https?://\S+/signup/confirm/\S+/", mailoutbox[-1].body)
    assert link
    page.goto(link.group(0))
    journey.visit(page, "signup-confirm")
    tab_to(page, "パスワード")
    keys.type(PASSWORD)
    press_on(journey, page, "登録を完了する", r"/recipient/login/", "login")
    tab_to(page, "メールアドレス")
    keys.type(email)
    keys.press("Tab")
    keys.type(PASSWORD)
    keys.press("Enter")
    page.wait_for_url(re.compile(r"/recipient/$"))
    journey.visit(page, "menu-new")

    press_on(journey, page, "受領者等の登録をする", r"/recipient/register/$", "register")
    tab_to(page, "法人・団体")
    keys.press("Space")
    for label, value in (
        ("名称（法人名・屋号）", "株式会社とりひき"),
        ("所在地", "東京都千代田区丸の内一丁目1番1号"),
        ("代表者の役職", "代表取締役"),
        ("代表者の氏名", "取引 一郎"),
        ("代表者の住所", "東京都港区芝公園一丁目1番1号"),
        ("申請者の氏名", "確認 次郎"),
    ):
        tab_to(page, label)
        keys.type(value)
    keys.press("Shift+Tab")  # back one field and forward again: nothing traps the focus
    tab_to(page, "申請者の氏名", limit=1)
    # 入力 → 確認 → 完了: what will be sent, then the receipt with its 受付番号.
    press_on(journey, page, "入力内容を確認する", r"/recipient/register/$", "register-confirm")
    assert "株式会社とりひき" in page.get_by_test_id("confirm-list").inner_text()
    press_on(journey, page, "登録を申請する", r"/recipient/register/done/$", "register-done")
    assert page.get_by_test_id("reception-number").inner_text().startswith("V-")
    press_on(journey, page, "受領者メニューへ", r"/recipient/$", "menu-pending")
    assert page.get_by_test_id("recipient-status").inner_text() == "承認待ち"

    # -- reception approves the organisation in the admin --------------------------------------
    desk = open_in_admin(journey, browser, live_server, reception, "受領者等", "株式会社とりひき", "admin-recipient")
    click_through(journey, desk, desk.get_by_role("link", name="承認する"), "admin-recipient-approve")
    click_through(journey, desk, desk.get_by_role("button", name="承認する"), "admin-recipient-approved")
    assert "登録を承認しました" in desk.content()
    desk.context.close()

    # -- an API key, then the ID checked by API and by the form -----------------------------------
    page.reload()
    journey.visit(page, "menu-approved")
    press_on(journey, page, "API キーの管理", r"/recipient/keys/$", "keys")
    tab_to(page, "キーの名前")
    keys.type("契約管理システム")
    with page.expect_navigation():
        tab_to(page, "作成する")
        keys.press("Enter")
    journey.visit(page, "key-created")
    key = page.get_by_test_id("api-key").input_value()
    assert key.startswith("mtv_")

    delegation_id = active.delegation_id
    answer = check_by_api(page, live_server, key, delegation_id)
    assert (answer["status"], answer["agent"]["name"]) == ("valid", "受任 花子")

    tab_to(page, "受領者メニュー")
    keys.press("Enter")
    page.wait_for_url(re.compile(r"/recipient/$"))
    press_on(journey, page, "電子委任状の有効性を確認する", r"/recipient/check/$", "check")
    tab_to(page, "電子委任状 ID")
    keys.type(delegation_id.replace("-", "").lower())
    tab_to(page, "確認する")
    keys.press("Enter")
    page.get_by_test_id("validity-answer").wait_for()
    journey.visit(page, "check-answer")
    assert page.get_by_test_id("validity-answer").get_attribute("data-status") == "valid"
    # The result has its own address: a reload asks nothing again; the history lists it.
    assert re.search(r"/recipient/checks/\w+/$", page.url)
    page.reload()
    assert page.get_by_test_id("validity-answer").get_attribute("data-status") == "valid"
    press_on(journey, page, "確認の履歴", r"/recipient/checks/$", "history")
    assert delegation_id in page.get_by_test_id("check-history").inner_text()


def check_by_api(page: Any, live_server: Any, key: str, delegation_id: str) -> dict[str, Any]:
    """The validity API, asked with the recipient's key (an HTTP request beside the browser)."""
    answer = page.request.get(
        f"{live_server.url}/api/v1/delegations/{delegation_id}/validity",
        headers={"Authorization": f"Bearer {key}"},
    )
    assert answer.status == 200
    return dict(answer.json())


def test_d_the_subscriber_updates_the_delegation_and_later_revokes_the_new_one(
    page: Any, live_server: Any, active: Any, member: Any, tmp_path: Any
) -> None:
    from validity import services as validity_services
    from validity.tests.conftest import make_organisation

    journey = Journey("d-update-revoke", page)
    checker = make_user("kakunin@torihiki.example.jp", "recipient")
    _key, api_key = validity_services.create_api_key(make_organisation(checker), label="契約管理", actor=checker)
    old_id = active.delegation_id

    sign_in(journey, page, live_server, "app", member.email)
    page.get_by_role("link", name="電子委任状", exact=True).click()
    page.wait_for_url(re.compile(r"/app/delegations/$"))
    journey.visit(page, "delegations")
    click_through(journey, page, page.get_by_role("link", name=old_id), "active")
    click_through(journey, page, page.get_by_test_id("start-update"), "update-draft")
    page.get_by_label("代理権の内容").fill("物品購入契約の締結（1件 300 万円以下）")
    click_through(journey, page, page.get_by_role("button", name="入力内容を確認する"), "update-confirm")
    click_through(journey, page, page.get_by_role("button", name="下書きを保存する"), "update-done")
    click_through(journey, page, page.get_by_test_id("to-detail"), "update-saved")
    new_id = sign_with_test_cards(journey, page, tmp_path, "update")
    assert new_id != old_id
    assert check_by_api(page, live_server, api_key, old_id)["status"] == "superseded"
    assert check_by_api(page, live_server, api_key, new_id)["status"] == "valid"

    # The revocation with the keyboard alone.
    press_on(journey, page, "取り消す", r"/revoke/$", "revoke")
    tab_to(page, "取消の理由")
    page.keyboard.type("担当者の退職のため")
    press_on(journey, page, "取り消す", r"/app/delegations/[^/]+/$", "revoked")
    assert page.get_by_test_id("delegation-status").inner_text() == "取消し済み"
    assert check_by_api(page, live_server, api_key, new_id)["status"] == "revoked"
    assert check_by_api(page, live_server, api_key, old_id)["status"] == "superseded"

    # What a recipient sees in the form for the old ID.
    page.context.clear_cookies()
    sign_in(journey, page, live_server, "recipient", checker.email)
    click_through(journey, page, page.get_by_role("link", name="電子委任状の有効性を確認する"), "check")
    page.get_by_label("電子委任状 ID").fill(old_id)
    page.get_by_role("button", name="確認する").click()
    page.get_by_test_id("validity-answer").wait_for()
    journey.visit(page, "check-superseded")
    assert page.get_by_test_id("validity-answer").get_attribute("data-status") == "superseded"


def test_e_an_auditor_verifies_and_exports_the_log_and_the_offline_verifier_accepts_it(
    page: Any, live_server: Any, active: Any, tmp_path: Any
) -> None:
    import subprocess
    import sys
    import zipfile

    from .journey_pages import ROOT

    journey = Journey("e-audit", page)
    auditor = make_staff("auditor", "kansa@staff.example.jp")
    staff_sign_in(journey, page, live_server, auditor)
    click_through(
        journey, page, page.locator("#audit-auditevent").get_by_role("link", name="監査ログ", exact=True), "audit-log"
    )
    click_through(journey, page, page.get_by_role("link", name="検証", exact=True), "verify")
    click_through(journey, page, page.get_by_role("button", name="検証する"), "verified")
    assert "結果：正常" in page.content()

    click_through(journey, page, page.locator(".breadcrumbs").get_by_role("link", name="監査ログ"), "audit-log-again")
    click_through(journey, page, page.get_by_role("link", name="公開鍵"), "public-key")
    public_key = tmp_path / "checkpoint-public.pem"
    public_key.write_text(page.locator("#content-main pre").inner_text().strip() + "\n")

    page.locator(".breadcrumbs").get_by_role("link", name="監査ログ").click()
    click_through(journey, page, page.get_by_role("link", name="エクスポート", exact=True), "export")
    page.get_by_label(re.compile("CSV")).check()
    with page.expect_download() as download:
        page.get_by_role("button", name="エクスポートする").click()
    export = tmp_path / download.value.suggested_filename
    download.value.save_as(export)
    assert zipfile.ZipFile(export).namelist() == ["events.csv", "chain.jsonl", "manifest.json"]

    checked = subprocess.run(
        [sys.executable, "-m", "audit.offline_verify", str(export), "--key", str(public_key)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.startswith("OK")
