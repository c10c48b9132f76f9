"""Entry records (§6.2.1, §7.1, §7.1.1, §10.2.3): entries to the data centre, the server room and
the server rack are recorded; an entry is escorted (立会者) and approved beforehand by the service
manager (サービス責任者への事前承認), and both are required fields of the record."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from conftest import make_staff, otp_login
from mynatrust.operations import services
from mynatrust.operations.models import EntryExitRecord, LedgerError

pytestmark = pytest.mark.django_db


@pytest.fixture
def administrator():
    return make_staff("service_administrator", "admin@staff.example.jp")


@pytest.fixture
def manager():
    return make_staff("service_manager", "manager@staff.example.jp")


def visit(approver, **extra):
    fields = {
        "area": EntryExitRecord.Area.RACK,
        "direction": EntryExitRecord.Direction.ENTER,
        "occurred_at": timezone.now() - timedelta(minutes=5),
        "person_name": "運用 者花子",
        "organisation": "第3のトラスト事業室",
        "purpose": "ラック内サーバーのメモリ交換",
        "escort_name": "保守 員三郎",
        "approved_by": approver,
    }
    fields.update(extra)
    return fields


def test_an_entry_to_the_rack_is_recorded_with_its_escort_and_the_service_managers_approval(administrator, manager):
    entry = services.record_entry(EntryExitRecord, actor=administrator, **visit(manager))
    assert entry.get_area_display() == "サーバーラック"
    assert entry.approved_by == manager
    recorded = AuditEvent.objects.get(event_type="operations.ledger.recorded")
    assert recorded.data["entry"]["approved_by"] == manager.pk
    assert recorded.data["entry"]["escort_name"] == "保守 員三郎"


@pytest.mark.parametrize("missing", ["escort_name", "approved_by"])
def test_an_entry_without_its_escort_or_approval_is_refused_and_the_refusal_audited(missing, administrator, manager):
    with pytest.raises(LedgerError):
        services.record_entry(
            EntryExitRecord,
            actor=administrator,
            **visit(manager, **{missing: "" if missing == "escort_name" else None}),
        )
    assert not EntryExitRecord.objects.exists()
    assert AuditEvent.objects.filter(event_type="operations.ledger.record_refused").count() == 1


def test_only_the_service_manager_approves_an_entry(administrator):
    operator = make_staff("service_operator", "operator@staff.example.jp")
    with pytest.raises(LedgerError, match="サービス責任者"):
        services.record_entry(EntryExitRecord, actor=administrator, **visit(operator))
    assert not EntryExitRecord.objects.exists()


def test_an_exit_needs_the_escort_but_no_new_approval(administrator):
    exit_ = services.record_entry(
        EntryExitRecord,
        actor=administrator,
        **visit(None, direction=EntryExitRecord.Direction.EXIT),
    )
    assert exit_.approved_by is None


def test_the_admin_form_offers_only_the_service_manager_as_approver(client, administrator, manager):
    make_staff("service_operator", "operator@staff.example.jp")
    otp_login(client, administrator)
    add = reverse("admin:mynatrust_entryexitrecord_add")
    form = client.get(add).content.decode()
    assert f'value="{manager.pk}"' in form
    assert "operator@staff.example.jp" not in form
    data = {
        "area": "rack",
        "direction": "enter",
        "occurred_at_0": "2026-11-20",
        "occurred_at_1": "10:00:00",
        "person_name": "運用 者花子",
        "organisation": "第3のトラスト事業室",
        "purpose": "点検",
        "escort_name": "",
        "approved_by": manager.pk,
    }
    response = client.post(add, data)
    assert response.status_code == 200  # the form shows the error; nothing is stored
    assert not EntryExitRecord.objects.exists()
    assert client.post(add, {**data, "escort_name": "保守 員三郎"}).status_code == 302
    assert EntryExitRecord.objects.get().approved_by == manager
