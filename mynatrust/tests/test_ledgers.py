"""Operations ledgers: append-only, written by the role the rules name, corrections as new entries,
each entry an audit event, CSV export for the auditor."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from conftest import make_staff, otp_login
from mynatrust.operations import WRITERS, services
from mynatrust.operations.models import (
    LEDGERS,
    EntryExitRecord,
    IncidentRecord,
    LedgerError,
    OperationsMeeting,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def administrator():
    return make_staff("service_administrator", "admin@staff.example.jp")


def approver():
    # The service manager's prior approval of an entry (§7.1.1).
    from mynatrust.models import User

    found = User.objects.filter(email="approver@staff.example.jp").first()
    return found or make_staff("service_manager", "approver@staff.example.jp")


def entry_fields(**extra):
    fields = {
        "area": EntryExitRecord.Area.SERVER_ROOM,
        "direction": EntryExitRecord.Direction.ENTER,
        "occurred_at": timezone.now() - timedelta(minutes=5),
        "person_name": "保守 太郎",
        "organisation": "保守会社",
        "purpose": "ディスク交換",
        "escort_name": "管理 者太郎",
        "approved_by": approver(),
    }
    fields.update(extra)
    return fields


def test_an_entry_is_recorded_with_its_writer_and_an_audit_event(administrator):
    entry = services.record_entry(EntryExitRecord, actor=administrator, **entry_fields())
    assert entry.recorded_by == administrator
    event = AuditEvent.objects.get(event_type="operations.ledger.recorded")
    assert event.subject_id == f"entryexitrecord:{entry.pk}"
    assert event.data["ledger"] == "mynatrust.entryexitrecord"
    assert event.data["entry"]["person_name"] == "保守 太郎"


def test_a_correction_is_a_new_entry_and_the_original_stays_unchanged(administrator):
    original = services.record_entry(EntryExitRecord, actor=administrator, **entry_fields())
    snapshot = EntryExitRecord.objects.filter(pk=original.pk).values().get()

    correction = services.record_entry(
        EntryExitRecord,
        actor=administrator,
        corrects=original,
        correction_reason="氏名の誤記",
        **entry_fields(person_name="保守 次郎"),
    )

    assert correction.pk != original.pk
    assert correction.corrects_id == original.pk
    assert EntryExitRecord.objects.filter(pk=original.pk).values().get() == snapshot
    assert list(original.corrections.all()) == [correction]
    event = AuditEvent.objects.get(event_type="operations.ledger.corrected")
    assert event.data["corrects"] == original.pk
    assert event.data["reason"] == "氏名の誤記"


def test_a_correction_of_a_correction_references_the_first_entry(administrator):
    first = services.record_entry(EntryExitRecord, actor=administrator, **entry_fields())
    second = services.record_entry(
        EntryExitRecord, actor=administrator, corrects=first, correction_reason="1回目", **entry_fields()
    )
    third = services.record_entry(
        EntryExitRecord, actor=administrator, corrects=second, correction_reason="2回目", **entry_fields()
    )
    assert third.corrects_id == first.pk


def test_a_correction_needs_a_reason(administrator):
    original = services.record_entry(EntryExitRecord, actor=administrator, **entry_fields())
    with pytest.raises(LedgerError, match="理由"):
        services.record_entry(EntryExitRecord, actor=administrator, corrects=original, **entry_fields())


def test_entries_cannot_be_changed_or_deleted_below_the_admin(administrator):
    entry = services.record_entry(EntryExitRecord, actor=administrator, **entry_fields())
    entry.person_name = "改ざん"
    with pytest.raises(LedgerError):
        entry.save()
    with pytest.raises(LedgerError):
        entry.delete()
    with pytest.raises(LedgerError):
        EntryExitRecord.objects.filter(pk=entry.pk).update(person_name="改ざん")
    with pytest.raises(LedgerError):
        EntryExitRecord.objects.all().delete()
    assert EntryExitRecord.objects.get(pk=entry.pk).person_name == "保守 太郎"


def test_the_role_the_rules_name_writes_each_ledger():
    # Entry/exit and incidents: the service administrator; rack keys, password lending, meetings and
    # suitability: the service manager; configuration: the operator; maintenance; internal audit.
    assert {str(m._meta.model_name): WRITERS[str(m._meta.model_name)].value for m in LEDGERS} == {
        "entryexitrecord": "service_administrator",
        "rackkeyloan": "service_manager",
        "adminpasswordloan": "service_manager",
        "maintenancerecord": "maintenance",
        "configurationchange": "service_operator",
        "incidentrecord": "service_administrator",
        "operationsmeeting": "service_manager",
        "suitabilitycheck": "service_manager",
        "internalauditreport": "auditor",
        "inquiryrecord": "reception",
        "disclosurerecord": "service_manager",
        "mediarecord": "service_administrator",
    }


@pytest.mark.parametrize("role", ["service_operator", "reception", "auditor", "maintenance"])
def test_another_role_cannot_write_the_entry_ledger_and_the_refusal_is_recorded(role):
    actor = make_staff(role, f"{role}@staff.example.jp")
    with pytest.raises(LedgerError):
        services.record_entry(EntryExitRecord, actor=actor, **entry_fields())
    assert not EntryExitRecord.objects.exists()
    assert AuditEvent.objects.filter(event_type="operations.ledger.record_refused", actor_id=str(actor.pk)).exists()


# --- admin -------------------------------------------------------------------------------------------
def test_the_writer_adds_an_entry_and_a_correction_in_the_admin(client, administrator):
    otp_login(client, administrator)
    add = reverse("admin:mynatrust_entryexitrecord_add")
    data = {
        "area": "server_room",
        "direction": "enter",
        "occurred_at_0": "2026-11-20",
        "occurred_at_1": "10:00:00",
        "person_name": "保守 太郎",
        "organisation": "保守会社",
        "purpose": "点検",
        "escort_name": "保守 員三郎",
        "approved_by": approver().pk,
    }
    assert client.post(add, data).status_code == 302
    original = EntryExitRecord.objects.get()

    page = client.get(reverse("admin:mynatrust_entryexitrecord_change", args=[original.pk])).content.decode()
    assert f"{add}?corrects={original.pk}" in page
    form = client.get(f"{add}?corrects={original.pk}").content.decode()
    assert "保守 太郎" in form

    response = client.post(
        add, {**data, "person_name": "保守 花子", "corrects": original.pk, "correction_reason": "誤記"}
    )
    assert response.status_code == 302
    assert EntryExitRecord.objects.count() == 2
    assert EntryExitRecord.objects.get(pk=original.pk).person_name == "保守 太郎"
    # Nothing in the admin changes or deletes an entry.
    change = reverse("admin:mynatrust_entryexitrecord_change", args=[original.pk])
    assert client.post(change, {**data, "person_name": "x"}).status_code == 403
    assert (
        client.post(reverse("admin:mynatrust_entryexitrecord_delete", args=[original.pk]), {"post": "yes"}).status_code
        == 403
    )


def record_incident(actor, *, summary, response):
    services.record_entry(
        IncidentRecord,
        actor=actor,
        occurred_at=timezone.now(),
        detected_at=timezone.now(),
        severity=IncidentRecord.Severity.HIGH,
        summary=summary,
        response=response,
    )


def test_the_auditor_exports_a_ledger_as_csv_for_excel(client, administrator):
    record_incident(administrator, summary='=HYPERLINK("http://evil")', response="再起動")
    auditor = make_staff("auditor", "auditor@staff.example.jp")
    otp_login(client, auditor)
    assert "CSV" in client.get(reverse("admin:mynatrust_incidentrecord_changelist")).content.decode()
    response = client.get(reverse("admin:mynatrust_incidentrecord_export"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["記録番号", "記録日時", "記録者", "発生日時"]
    assert rows[1][rows[0].index("重大度")] == "重大"
    # A formula is written as text, never run by the spreadsheet.
    assert rows[1][rows[0].index("概要")].startswith("'=")
    assert AuditEvent.objects.filter(event_type="operations.ledger.exported", actor_id=str(auditor.pk)).exists()


def test_every_column_of_a_ledger_export_is_neutralised_recorded_by_and_full_width_included(administrator):
    administrator.display_name = "=cmd|' /C calc'!A0"
    administrator.save(update_fields=["display_name"])
    record_incident(administrator, summary='＝HYPERLINK("http://evil")', response="＠SUM(1)")
    auditor = make_staff("auditor", "auditor@staff.example.jp")
    rows = list(csv.reader(io.StringIO(services.export_csv(IncidentRecord, actor=auditor).decode("utf-8-sig"))))
    assert rows[1][rows[0].index("記録者")].startswith("'=cmd")
    assert rows[1][rows[0].index("概要")].startswith("'＝")
    assert rows[1][rows[0].index("対応")].startswith("'＠")


def test_only_the_auditor_exports(client):
    manager = make_staff("service_manager", "manager@staff.example.jp")
    services.record_entry(
        OperationsMeeting,
        actor=manager,
        held_on=timezone.localdate(),
        attendees="全員",
        agenda="月次報告",
        decisions="なし",
    )
    otp_login(client, manager)
    assert client.get(reverse("admin:mynatrust_operationsmeeting_changelist")).status_code == 200
    assert client.get(reverse("admin:mynatrust_operationsmeeting_export")).status_code == 403


@pytest.mark.parametrize("model", LEDGERS, ids=[m._meta.model_name for m in LEDGERS])
def test_each_ledger_opens_its_add_form_to_its_writer_only(client, model):
    name = str(model._meta.model_name)
    writer = WRITERS[name].value
    otp_login(client, make_staff(writer, f"{writer}@staff.example.jp"))
    url = reverse(f"admin:mynatrust_{name}_add")
    response = client.get(url)
    assert response.status_code == 200
    assert "訂正対象の記録" in response.content.decode()
    client.logout()
    other = "reception" if writer != "reception" else "maintenance"
    otp_login(client, make_staff(other, f"{other}@staff.example.jp"))
    assert client.get(url).status_code == 403
