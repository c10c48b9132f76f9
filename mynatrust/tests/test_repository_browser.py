from __future__ import annotations

import pytest

from conftest import make_staff
from mynatrust.repository import services
from mynatrust.repository.models import Notice

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_repository_renders_anonymously_in_a_real_browser(page, live_server):
    from django.utils import timezone

    operator = make_staff("service_operator", "operator@staff.example.jp")
    manager = make_staff("service_manager", "manager@staff.example.jp")
    doc = services.draft_document(
        kind="terms", version="1.0", title="利用約款", body="第1条", effective_at=timezone.now(), actor=operator
    )
    services.approve_document(doc, actor=manager)
    notice = Notice(kind=Notice.Kind.MAINTENANCE, title="定期保守のお知らせ", body="停止します。")
    services.publish_notice(services.save_notice_draft(notice, actor=operator), actor=operator)

    for path in (
        "/repository/",
        "/repository/terms/",
        "/repository/terms/1.0/",
        "/repository/rules/",
        "/repository/notices/",
        f"/repository/notices/{notice.public_id}/",
    ):
        response = page.goto(f"{live_server.url}{path}")
        assert response is not None and response.status == 200, path
        assert page.locator("h1").count() == 1, path
        assert page.get_by_role("link", name="定期保守のお知らせ").first.is_visible(), path
    errors = [m.text for m in page.console_messages if m.type == "error"]
    assert errors == []
    assert page.page_errors == []

    # No serious accessibility problem on the index (axe-core, offline).
    from axe_playwright_python.sync_playwright import Axe

    page.goto(f"{live_server.url}/repository/")
    results = Axe().run(page)
    serious = [v["id"] for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == []
