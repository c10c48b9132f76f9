"""The service's journeys in a real browser, each from a fresh database, through the pages people use.

Every page visited is screenshotted (``test-artifacts/screenshots/<journey>/``) and checked by
``journey_pages.Journey.visit``: one <h1>, no browser errors or CSP violations, no serious or
critical axe-core violation, a working skip link and a visible focus indicator on every control of
the main content. Only what no journey covers is set up in code: staff accounts, the trusted test
PKI, and the earlier journeys' results that a later journey starts from.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from conftest import PASSWORD, make_staff

from .journey_pages import Journey, staff_sign_in

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

    journey = Journey("a-application")
    reception = make_staff("reception", "reception@staff.example.jp")
    number = corporate_number()
    evidence = tmp_path / "touki.pdf"
    evidence.write_bytes(make_pdf())

    # -- sign-up and e-mail confirmation -------------------------------------------------------
    page.goto(f"{live_server.url}/")
    journey.visit(page, "home")
    page.get_by_role("link", name="利用者（委任する事業者）として登録").click()
    journey.visit(page, "signup")
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
    page.get_by_role("button", name="申し込む").click()
    page.wait_for_url(re.compile(r"/app/$"))
    journey.visit(page, "menu-applied")
    assert page.get_by_test_id("subscriber-status").inner_text() == "申込受付"

    # -- reception reviews in the admin -----------------------------------------------------------
    desk = journey.new_page(browser)
    staff_sign_in(journey, desk, live_server, reception)
    desk.locator("#content-main").get_by_role("link", name="利用者", exact=True).click()
    journey.visit(desk, "admin-subscribers")
    desk.get_by_role("link", name="株式会社みなと商事").click()
    journey.visit(desk, "admin-subscriber-review")
    desk.get_by_label("承認", exact=True).check()
    desk.get_by_label("会社法人等番号（12桁）").fill(number[1:])
    desk.get_by_role("button", name="記録する").click()
    desk.wait_for_url(re.compile(r"/staff-admin/registry/subscriber/"))
    journey.visit(desk, "admin-approved")
    assert "承認しました" in desk.content()
    desk.context.close()

    page.reload()
    journey.visit(page, "menu-active")
    assert page.get_by_test_id("subscriber-status").inner_text() == "利用中"
    assert journey.pages >= 12
