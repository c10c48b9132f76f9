"""The witnesses' cosignatures in the admin: read by the auditor and the service administrator only,
never changed; each row says in Japanese whether its signature and its checkpoint check out here,
with the times in Japan time. In a real browser at 1366 and 390 px, checked with axe."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditCosignature
from audit.tests.test_admin import READERS
from audit.tests.test_witness import witness_setup  # noqa: F401  (a registered witness and a checkpoint)
from conftest import ROLES, make_staff, otp_login


@pytest.fixture
def cosigned(witness_setup):  # noqa: F811
    call_command("audit_witness", "--local")
    return AuditCosignature.objects.get()


@pytest.mark.parametrize("role", ROLES)
def test_only_the_auditor_and_the_administrator_see_the_cosignatures(client, staff_by_role, cosigned, role):
    otp_login(client, staff_by_role[role])
    expected = 200 if role in READERS else 403
    assert client.get(reverse("admin:audit_auditcosignature_changelist")).status_code == expected
    assert client.get(reverse("admin:audit_auditcosignature_change", args=[cosigned.pk])).status_code == expected


@pytest.mark.parametrize("role", sorted(READERS))
def test_nobody_adds_changes_or_deletes_a_cosignature(client, staff_by_role, cosigned, role):
    otp_login(client, staff_by_role[role])
    assert client.get(reverse("admin:audit_auditcosignature_add")).status_code == 403
    assert client.get(reverse("admin:audit_auditcosignature_delete", args=[cosigned.pk])).status_code == 403
    page = client.get(reverse("admin:audit_auditcosignature_change", args=[cosigned.pk])).content.decode()
    assert 'name="_save"' not in page


def test_each_cosignature_says_whether_it_checks_out_in_japan_time(client, cosigned, settings):
    otp_login(client, make_staff("auditor"))
    page = client.get(reverse("admin:audit_auditcosignature_changelist")).content.decode()
    moment = timezone.localtime(datetime.fromisoformat(cosigned.signed_at))
    assert f"{moment.year}年{moment.month}月{moment.day}日{moment.hour}:{moment.minute:02d}" in page
    assert "正しい" in page and "このサービスのチェックポイントと一致" in page
    assert cosigned.signed_at not in page  # never the UTC text as received

    settings.AUDIT_WITNESS_PUBLIC_KEYS = []  # the witness's key withdrawn since
    settings.AUDIT_WITNESS_KEY_PATH = ""
    page = client.get(reverse("admin:audit_auditcosignature_change", args=[cosigned.pk])).content.decode()
    assert "登録されていない立会人の鍵" in page


def test_the_search_takes_a_position_or_part_of_a_key_id(client, cosigned):
    otp_login(client, make_staff("auditor"))
    url = reverse("admin:audit_auditcosignature_changelist")

    def rows(q: str) -> int:
        return client.get(url, {"q": q}).content.decode().count('class="field-seq"')

    assert rows(str(cosigned.seq)) == 1
    assert rows(cosigned.witness_key_id[:8]) == 1
    assert rows("999999999") == 0
    assert rows("#12") == 0


def _raw_words(text: str) -> list[tuple[str, str]]:
    """Raw codes, UTC times, English status words or half-width colons after Japanese, as the
    journeys' check finds them (mynatrust/tests/journey_pages.py)."""
    from mynatrust.tests.journey_pages import _DATA, _RAW

    text = _DATA.sub(" ", text)
    return [(what, m.group(0)) for what, pattern in _RAW for m in pattern.finditer(text)]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_cosignature_pages_in_a_browser(page, live_server, witness_setup):  # noqa: F811
    from mynatrust.tests.journey_pages import (
        DESKTOP,
        PHONE,
        Journey,
        assert_accessible,
        assert_no_sideways_scroll,
        click_through,
        staff_sign_in,
    )

    call_command("audit_witness", "--local")
    auditor = make_staff("auditor", "auditor@staff.example.jp")
    journey = Journey("audit-cosignatures", page)
    staff_sign_in(journey, page, live_server, auditor)
    click_through(journey, page, page.locator("#content-main").get_by_role("link", name="立会人の連署"), "list")
    click_through(journey, page, page.locator("#result_list tbody th a").first, "detail")
    for name, url in (("list", reverse("admin:audit_auditcosignature_changelist")), ("detail", page.url)):
        page.goto(url if url.startswith("http") else f"{live_server.url}{url}")
        for size in (DESKTOP, PHONE):
            page.set_viewport_size(size)
            page.wait_for_load_state()
            page.screenshot(path=journey.folder / f"{name}-{size['width']}.png", full_page=True)
            text = page.inner_text("#content")
            assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日", text), text
            assert_accessible(page, f"{name} {size['width']}")
            # The content, not the admin's header: Django's own theme switch says 「テーマ: 自動」.
            assert _raw_words(text) == [], f"{name} {size['width']}"
            assert_no_sideways_scroll(page, f"{name} {size['width']}")
