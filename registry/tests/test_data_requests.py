"""Personal-data requests (§2.8(6)(7)) handled by reception in the admin, and the reception role."""

from __future__ import annotations

import pytest
from django.urls import reverse

from conftest import otp_login
from registry.models import DataRequest

from .conftest import events

pytestmark = pytest.mark.django_db


def test_the_reception_role_holds_the_registry_permissions(reception):
    for perm in ("view_subscriber", "review_subscriber", "manage_contract", "view_registryevidence", "add_datarequest"):
        assert reception.has_perm(f"registry.{perm}"), perm
    assert not reception.has_perm("registry.delete_subscriber")


def test_reception_records_and_closes_a_disclosure_request(client, reception, active):
    otp_login(client, reception)
    response = client.post(
        reverse("admin:registry_datarequest_add"),
        {
            "subscriber": active.pk,
            "kind": "disclosure",
            "requester": "山田 太郎（代表者本人）",
            "received_on": "2026-11-20",
            "details": "登録されている自分の個人情報の開示を求める",
        },
    )
    assert response.status_code == 302
    item = DataRequest.objects.get()
    assert str(item.received_on) == "2026-11-20"  # the date reception typed, not today's
    assert events("registry.data_request.received")[0].subject_id == str(item.pk)
    page = client.get(reverse("admin:registry_datarequest_change", args=[item.pk]))
    assert page.status_code == 200 and "対応を記録して完了する" in page.content.decode()
    response = client.post(
        reverse("admin:registry_datarequest_close", args=[item.pk]),
        {"state": "done", "response": "登録内容の写しを書留で送付"},
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.state == "done" and item.handled_by == reception and item.closed_at
    assert events("registry.data_request.closed")


def test_the_admin_index_shows_reception_its_registry_pages(client, reception):
    otp_login(client, reception)
    body = client.get(reverse("admin:index")).content.decode()
    assert "利用者" in body and "個人情報の開示等の請求" in body
