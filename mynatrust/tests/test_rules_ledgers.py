"""Ledgers the rules ask for beyond the first nine: inquiries answered by mail or telephone
(§10.2.1), disclosures to courts and law enforcement (§2.7.2–§2.7.4, approved by the service
manager), and media carried in, out and disposed of (§7.1.5, §7.1.6)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from conftest import make_staff
from mynatrust.operations import WRITERS
from mynatrust.operations import services as ledgers
from mynatrust.operations.models import DisclosureRecord, InquiryRecord, LedgerError, MediaRecord

pytestmark = pytest.mark.django_db


def _inquiry():
    return {
        "received_at": timezone.now() - timedelta(hours=1),
        "channel": InquiryRecord.Channel.PHONE,
        "inquirer": "株式会社みなと商事 山田様",
        "question": "更新手続きについて",
        "answer": "管理アプリケーションから更新できる旨を案内",
    }


def _disclosure():
    return {
        "requested_on": timezone.localdate(),
        "basis": DisclosureRecord.Basis.LAW_ENFORCEMENT,
        "legal_basis": "刑事訴訟法第197条第2項（捜査関係事項照会）",
        "requester": "○○警察署",
        "disclosed": "電子委任状 ID 7K3Q-… の委任者名と委任期間",
        "disclosed_on": timezone.localdate(),
    }


def _media():
    return {
        "occurred_at": timezone.now() - timedelta(minutes=10),
        "action": MediaRecord.Action.DISPOSE,
        "medium": "LTO テープ #12",
        "contents": "2016年度の監査ログ アーカイブ",
        "person_name": "管理 者太郎",
        "witness_name": "保守 員三郎",
        "method": "消磁後に物理破砕",
    }


def test_the_rules_name_who_writes_these_ledgers():
    assert WRITERS["inquiryrecord"].value == "reception"
    assert WRITERS["disclosurerecord"].value == "service_manager"
    assert WRITERS["mediarecord"].value == "service_administrator"


@pytest.mark.parametrize(
    ("model", "fields", "writer"),
    [
        (InquiryRecord, _inquiry, "reception"),
        (DisclosureRecord, _disclosure, "service_manager"),
        (MediaRecord, _media, "service_administrator"),
    ],
)
def test_each_ledger_is_written_by_its_role_and_audited(model, fields, writer):
    actor = make_staff(writer, f"{writer}@staff.example.jp")
    entry = ledgers.record_entry(model, actor=actor, **fields())
    assert entry.recorded_by == actor
    assert AuditEvent.objects.filter(event_type="operations.ledger.recorded", actor_id=str(actor.pk)).exists()
    other = make_staff("service_operator", "op@staff.example.jp")
    with pytest.raises(LedgerError):
        ledgers.record_entry(model, actor=other, **fields())


def test_a_disclosure_is_approved_only_by_the_service_manager():
    with pytest.raises(LedgerError):
        ledgers.record_entry(
            DisclosureRecord, actor=make_staff("service_administrator", "ad@staff.example.jp"), **_disclosure()
        )
    assert not DisclosureRecord.objects.exists()
