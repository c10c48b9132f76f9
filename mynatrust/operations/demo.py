"""Demo ledger entries (one of them corrected), written by the roles the rules name, and a security
incident from its first entry to the ministry report and the recovery notice (§6.3.1, §6.3.2).
Idempotent."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext

from mynatrust.management.commands.demo_setup import demo_email
from mynatrust.models import User
from mynatrust.operations import services
from mynatrust.operations.models import (
    ConfigurationChange,
    EntryExitRecord,
    IncidentRecord,
    InternalAuditReport,
    OperationsMeeting,
)
from mynatrust.repository import services as repository
from mynatrust.repository.models import Notice


def setup(command: Any) -> None:
    if not IncidentRecord.objects.exists():
        _incident(command)
    if not InternalAuditReport.objects.exists():
        _internal_audit(command)
    if EntryExitRecord.objects.exists():
        return
    manager = User.objects.get(email=demo_email("manager"))
    operator = User.objects.get(email=demo_email("operator"))
    now = timezone.now()
    _server_room_visit(manager, now)
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
    command.stdout.write(gettext("  運用：デモの記録簿に記録しました"))


def _server_room_visit(manager: User, now: datetime) -> None:
    """A maintenance visit to the server room: entry (with a correction of its purpose), exit."""
    administrator = User.objects.get(email=demo_email("admin"))
    visit: dict[str, Any] = {
        "area": EntryExitRecord.Area.SERVER_ROOM,
        "person_name": "業者 一郎",
        "organisation": "株式会社デモ保守",
        "purpose": "ディスク交換",
        # §7.1.1, §10.2.3: escorted by maintenance staff, approved beforehand by the service manager.
        "escort_name": "保守 担当三",
        "approved_by": manager,
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


def _incident(command: Any) -> None:
    """A security failure made known to all staff, reported to the ministry by a later entry of the
    same chain, and its recovery published and mailed to every subscriber and recipient."""
    administrator = User.objects.get(email=demo_email("admin"))
    operator = User.objects.get(email=demo_email("operator"))
    now = timezone.now()
    incident: dict[str, Any] = {
        "occurred_at": now - timedelta(days=10, hours=3),
        "detected_at": now - timedelta(days=10, hours=2),
        "severity": IncidentRecord.Severity.HIGH,
        "summary": "有効性確認 API への認証情報の総当たり",
        "cause": "漏えいした API キーの使用の疑い",
        "response": "該当キーを失効させ、受領者等へ再発行を案内",
        "security_failure": True,
        "leak_risk": True,
    }
    first = services.record_entry(IncidentRecord, actor=administrator, **incident)
    notice = repository.publish_notice(
        repository.save_notice_draft(
            Notice(
                kind=Notice.Kind.RECOVERY,
                title="有効性確認 API の復旧のお知らせ",
                body="API キーの不正利用の疑いにより一部のキーを停止しましたが、再発行を終え、復旧しました。",
                period_start=incident["occurred_at"],
                banner=False,
            ),
            actor=operator,
        ),
        actor=operator,
    )
    services.record_entry(
        IncidentRecord,
        actor=administrator,
        corrects=first,
        correction_reason="主務省庁への報告と復旧を記録",
        **{
            **incident,
            "resolved_at": now - timedelta(days=9),
            "notice_public_id": notice.public_id,
            "ministry_reported_at": now - timedelta(days=10),
            "ministry_report": "総務省・経済産業省の担当課へ電話と電子メールで報告（デモ）",
        },
    )
    command.stdout.write(gettext("  運用：デモのセキュリティ事故と、主務省庁への報告、復旧のお知らせを記録しました"))


def _internal_audit(command: Any) -> None:
    """The yearly internal audit (§2.6.1) with its measures, their addressee and results (§2.6.5)."""
    auditor = User.objects.get(email=demo_email("auditor"))
    today = timezone.localdate()
    services.record_entry(
        InternalAuditReport,
        actor=auditor,
        period_start=today - timedelta(days=365 + 30),
        period_end=today - timedelta(days=30),
        performed_on=today - timedelta(days=20),
        scope="信頼される役割の業務運用、電子委任状保管等業務の機能、入退室管理",
        findings="入退室記録に立会者の記入漏れが1件あった。",
        recommendations="入退室記録の立会者を必須項目とすること。",
        measures="入退室記録の立会者とサービス責任者の事前承認を必須項目とする。",
        responsible="サービス管理者",
        results="必須化を実施し、サービス責任者が評価した。",
    )
    command.stdout.write(gettext("  運用：デモの内部監査報告を記録しました"))
