"""A recipient waiting for approval sees its 受付番号 and the expected time, at 1366 px and 390 px
with the journeys' page checks."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import PASSWORD, make_user
from mynatrust.tests.journey_pages import Journey

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, live_server, user) -> None:
    page.goto(f"{live_server.url}/recipient/login/")
    page.locator("#id_username").fill(user.email)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url(re.compile(r"/recipient/$"))


@pytest.mark.parametrize("width", [1366, 390])
def test_a_waiting_recipient_sees_its_reception_number(page, live_server, width):
    from validity import services

    page.set_viewport_size({"width": width, "height": 900})
    journey = Journey(f"recipient-reception-{width}", page)
    checker = make_user("checker@receipts.example.jp", "recipient", display_name="確認 一郎")
    details = services.RecipientDetails(
        kind="corporation",
        name="株式会社受領商事",
        address="東京都千代田区霞が関一丁目1番1号",
        representative_title="代表取締役",
        representative_name="受領 太郎",
        representative_address="東京都港区芝公園四丁目2番8号",
        representative_date_of_birth=None,
        declarant_name="確認 一郎",
    )
    organisation = services.register_recipient(checker, details, actor=checker)
    sign_in(page, live_server, checker)
    assert page.get_by_test_id("reception-number").inner_text() == organisation.reception_number
    assert "受付から5日以内" in page.content()
    journey.visit(page, "recipient-pending")


@pytest.mark.parametrize("width", [1366, 390])
def test_a_kept_result_prints_as_pdf_and_its_revocation_is_mailed(
    page, live_server, organisation, recipient, stored, width
):
    """The result page offers the 確認結果 PDF; revoking the delegation then mails the checker (from
    the mail outbox)."""
    from django.core import mail

    from delegations import services as delegation_services
    from delegations.document import embedded_files
    from delegations.models import Delegation
    from mynatrust.lib import delegation_id as ids
    from mynatrust.outbox import services as outbox
    from validity.models import CheckResult

    from .conftest import facts

    delegation_id = ids.generate()
    stored(facts(delegation_id))
    page.set_viewport_size({"width": width, "height": 900})
    journey = Journey(f"recipient-result-{width}", page)
    sign_in(page, live_server, recipient)
    page.goto(f"{live_server.url}/recipient/check/")
    page.get_by_label("電子委任状 ID").fill(delegation_id)
    page.get_by_role("button", name="確認する").click()
    page.wait_for_url(re.compile(r"/recipient/checks/\w+/$"))
    journey.visit(page, "result")
    with page.expect_download() as item:
        page.get_by_test_id("result-pdf").click()
    pdf = Path(item.value.path()).read_bytes()
    kept = CheckResult.objects.get()
    assert embedded_files.extract(pdf, f"validity-{ids.in_file_name(delegation_id)}.jws").decode() == kept.signed_record

    delegation = Delegation.objects.get(delegation_id=delegation_id)
    owner = delegation.subscriber.memberships.get().user
    mail.outbox.clear()
    delegation_services.revoke_delegation(delegation, actor=owner, reason="担当者の退職")
    outbox.run_once()  # the end notice leaves from the mail outbox
    (notice,) = [m for m in mail.outbox if "確認した電子委任状" in m.subject]
    assert notice.to == [recipient.email]
    page.goto(
        notice.body.split("確認した時点の結果：")[1].split()[0].replace("https://mynatrust.example.jp", live_server.url)
    )
    journey.visit(page, "result-from-notice")


@pytest.mark.parametrize("width", [1366, 390])
def test_the_api_page_reads_in_japanese_on_both_widths(page, live_server, width):
    page.set_viewport_size({"width": width, "height": 900})
    journey = Journey(f"api-docs-{width}", page)
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="有効性確認 API の仕様").first.click()
    page.wait_for_url(re.compile(r"/api/$"))
    assert page.get_by_test_id("operation").count() == 2 and page.get_by_test_id("schema").count() == 3
    journey.visit(page, "api-docs")


@pytest.mark.parametrize("width", [1366, 390])
def test_revoking_an_api_key_goes_through_a_confirmation_page(page, live_server, organisation, recipient, width):
    from validity import services
    from validity.models import ApiKey

    services.create_api_key(organisation, actor=recipient, label="基幹システム")
    key = ApiKey.objects.get()
    page.set_viewport_size({"width": width, "height": 900})
    journey = Journey(f"api-key-revoke-{width}", page)
    sign_in(page, live_server, recipient)
    page.goto(f"{live_server.url}/recipient/keys/")
    journey.visit(page, "keys")
    page.get_by_test_id(f"revoke-{key.prefix}").click()
    page.wait_for_url(re.compile(r"/revoke/$"))
    assert "基幹システム" in page.get_by_test_id("key-to-revoke").inner_text()
    journey.visit(page, "confirm")
    key.refresh_from_db()
    assert key.revoked_at is None  # opening the page changed nothing
    page.get_by_test_id("confirm-revoke").click()
    page.wait_for_url(re.compile(r"/recipient/keys/$"))
    assert "失効させました" in page.content()
    key.refresh_from_db()
    assert key.revoked_at is not None
    journey.visit(page, "revoked")
