"""Only the auditor and the service administrator read the log; only the auditor verifies and
exports; nobody adds, changes or deletes anything from the admin."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.urls import reverse

import audit
from audit.models import AuditEvent
from audit.sealing import seal_pending
from conftest import ROLES, otp_login

READERS = {"auditor", "service_administrator"}


@pytest.fixture
def sealed_event(db):
    event = audit.record("test.event", actor=audit.SYSTEM, note="見える")
    seal_pending()
    return event


@pytest.mark.parametrize("role", ROLES)
def test_only_the_auditor_and_the_administrator_see_the_log(client, staff_by_role, sealed_event, role):
    otp_login(client, staff_by_role[role])
    expected = 200 if role in READERS else 403
    assert client.get(reverse("admin:audit_auditevent_changelist")).status_code == expected
    assert client.get(reverse("admin:audit_auditevent_change", args=[sealed_event.pk])).status_code == expected


@pytest.mark.parametrize("role", ROLES)
def test_only_the_auditor_verifies_and_exports(client, staff_by_role, sealed_event, role):
    otp_login(client, staff_by_role[role])
    expected = 200 if role == "auditor" else 403
    assert client.get(reverse("admin:audit_auditevent_verify")).status_code == expected
    assert client.get(reverse("admin:audit_auditevent_export")).status_code == expected


@pytest.mark.parametrize("role", sorted(READERS))
def test_nobody_can_add_change_or_delete_from_the_admin(client, staff_by_role, sealed_event, role):
    otp_login(client, staff_by_role[role])
    changelist = client.get(reverse("admin:audit_auditevent_changelist"))
    assert b'name="action"' not in changelist.content
    assert client.get(reverse("admin:audit_auditevent_add")).status_code == 403
    delete = reverse("admin:audit_auditevent_delete", args=[sealed_event.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    change = reverse("admin:audit_auditevent_change", args=[sealed_event.pk])
    client.post(change, {"event_type": "changed"})
    assert AuditEvent.objects.get(pk=sealed_event.pk).event_type == "test.event"


def test_the_list_shows_the_event_with_its_place_in_the_chain(client, staff_by_role, sealed_event):
    otp_login(client, staff_by_role["service_administrator"])
    page = client.get(reverse("admin:audit_auditevent_changelist"), {"ns": "test"}).content.decode()
    assert "test.event" in page
    detail = client.get(reverse("admin:audit_auditevent_change", args=[sealed_event.pk])).content.decode()
    assert "見える" in detail
    assert sealed_event.seal.hash in detail


def test_the_auditor_verifies_from_the_admin_and_it_is_recorded(client, staff_by_role, sealed_event):
    auditor = staff_by_role["auditor"]
    otp_login(client, auditor)
    page = client.post(reverse("admin:audit_auditevent_verify"), {"from_seq": "", "to_seq": ""}).content.decode()
    assert "結果：正常" in page
    event = AuditEvent.objects.get(event_type="audit.verified")
    assert event.actor_id == str(auditor.pk)
    assert event.data["ok"] is True


def test_the_auditor_downloads_an_export(client, staff_by_role, sealed_event):
    otp_login(client, staff_by_role["auditor"])
    response = client.post(reverse("admin:audit_auditevent_export"), {"fmt": "csv", "event_type": "test."})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    data = b"".join(response.streaming_content)
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert names == ["events.csv", "chain.jsonl", "manifest.json"]
    assert AuditEvent.objects.filter(event_type="audit.exported", actor_id=str(staff_by_role["auditor"].pk)).exists()


def test_the_public_key_page_shows_the_key_id(client, staff_by_role, db):
    from audit import keys, signing

    otp_login(client, staff_by_role["auditor"])
    page = client.get(reverse("admin:audit_auditevent_key")).content.decode()
    assert signing.key_id(keys.private_key().public_key()) in page
    assert "BEGIN PUBLIC KEY" in page


def test_the_log_lists_events_and_actors_by_their_japanese_names(client, staff_by_role, db):
    import audit

    audit.record("auth.otp_verified", actor=staff_by_role["reception"])
    otp_login(client, staff_by_role["auditor"])
    page = client.get(reverse("admin:audit_auditevent_changelist")).content.decode()
    assert "二要素認証に成功" in page and 'title="auth.otp_verified"' in page
    assert ">職員<" in page  # the actor type, in the column and the filter
    assert "認証" in page and "電子委任状" in page  # the namespace filter


def test_the_export_file_is_named_with_the_time_in_japan(client, staff_by_role, sealed_event, time_machine):
    from datetime import UTC, datetime

    time_machine.move_to(datetime(2027, 1, 1, 16, 30, tzinfo=UTC), tick=False)  # 01:30 on 2 January in Japan
    otp_login(client, staff_by_role["auditor"])
    response = client.post(reverse("admin:audit_auditevent_export"), {"fmt": "csv", "event_type": "test."})
    assert 'filename="audit-20270102-013000-' in response["Content-Disposition"]
