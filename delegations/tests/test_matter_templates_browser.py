"""Drafting from a 委任事項 template and "copy to create" in the browser, at 1366 px and 390 px with
the journeys' page checks (axe, keyboard, Japanese text, no sideways scroll)."""

from __future__ import annotations

import pytest

from delegations.models import Delegation, MatterTemplate
from delegations.tests.test_receipts_browser import off_the_browser_thread, sign_in
from mynatrust.tests.journey_pages import Journey

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [1366, 390])
def test_a_draft_from_a_template_then_copied(page, live_server, member, subscriber, trusted_pki, width):
    from delegations.tests.lifecycle import make_active

    template = MatterTemplate.objects.create(
        category=MatterTemplate.Category.BIDDING,
        label="入札への参加（ブラウザ）",
        powers="入札及び見積に関する一切の件",
    )
    source = off_the_browser_thread(make_active, subscriber, member, trusted_pki)
    page.set_viewport_size({"width": width, "height": 900})
    journey = Journey(f"drafting-{width}", page)
    sign_in(page, live_server.url, "app", member)

    page.goto(f"{live_server.url}/app/delegations/new/")
    page.get_by_label("委任事項のひな形").select_option(str(template.pk))
    page.get_by_test_id("use-template").click()
    page.wait_for_url(f"**/new/?template={template.pk}")
    assert page.locator("#id_powers").input_value() == "入札及び見積に関する一切の件"
    assert "入札への参加（ブラウザ）" in page.get_by_test_id("template-used").inner_text()
    journey.visit(page, "template-picked")

    page.goto(f"{live_server.url}/app/delegations/{source.public_id}/")
    page.get_by_test_id("copy-delegation").click()
    page.wait_for_url(f"**/{source.public_id}/copy/")
    assert page.locator("#id_agent_name").input_value() == source.agent_name
    assert source.delegation_id in page.get_by_test_id("copied-from").inner_text()
    journey.visit(page, "copy")
    page.get_by_role("button", name="入力内容を確認する").click()
    page.wait_for_url(f"**/{source.public_id}/copy/")
    journey.visit(page, "copy-confirm")
    page.get_by_role("button", name="下書きを保存する").click()
    page.wait_for_url("**/app/delegations/*/saved/")
    journey.visit(page, "copy-saved")
    page.get_by_test_id("to-detail").click()
    page.wait_for_url("**/app/delegations/*/")
    assert Delegation.objects.filter(status=Delegation.Status.DRAFT, agent_name=source.agent_name).count() == 1
    journey.visit(page, "copied-draft")
