"""Demo ledger entries (one of them corrected), written by the roles the rules name. Idempotent."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from mynatrust.management.commands.demo_setup import demo_email
from mynatrust.models import User
from mynatrust.operations import services
from mynatrust.operations.models import ConfigurationChange, EntryExitRecord, OperationsMeeting


def setup(command: Any) -> None:
    if EntryExitRecord.objects.exists():
        return
    administrator = User.objects.get(email=demo_email("admin"))
    manager = User.objects.get(email=demo_email("manager"))
    operator = User.objects.get(email=demo_email("operator"))
    now = timezone.now()
    visit: dict[str, Any] = {
        "area": EntryExitRecord.Area.SERVER_ROOM,
        "person_name": "保守 担当三",
        "organisation": "株式会社デモ保守",
        "purpose": "ディスク交換",
        "escort_name": "管理 者太郎",
    }
    entered = services.record_entry(
        EntryExitRecord,
        actor=administrator,
        direction=EntryExitRecord.Direction.ENTER,
        occurred_at=now - timedelta(hours=3),
        **{**visit, "purpose": "ディスク交換（誤）"},
    )
    services.record_entry(
        EntryExitRecord,
        actor=administrator,
        corrects=entered,
        correction_reason="目的の誤記を訂正",
        direction=EntryExitRecord.Direction.ENTER,
        occurred_at=now - timedelta(hours=3),
        **visit,
    )
    services.record_entry(
        EntryExitRecord,
        actor=administrator,
        direction=EntryExitRecord.Direction.EXIT,
        occurred_at=now - timedelta(hours=2),
        **visit,
    )
    services.record_entry(
        ConfigurationChange,
        actor=operator,
        performed_at=now - timedelta(days=2),
        summary="監査ログのチェックポイント間隔を 1,000 件に変更",
        reason="検証時間の短縮",
        approved_by_name="管理 責任子",
        impact="なし（検証済み）",
    )
    services.record_entry(
        OperationsMeeting,
        actor=manager,
        held_on=timezone.localdate() - timedelta(days=5),
        attendees="管理 責任子、管理 者太郎、運用 者花子、監査 人二郎",
        agenda="前月の稼働状況、障害の有無、失効情報の更新状況",
        decisions="特になし。次回は保守計画を確認する。",
    )
    command.stdout.write("  operations: demo ledger entries recorded")
