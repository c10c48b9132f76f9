"""The notices a subscriber keeps as PDF: 登録完了通知 when a delegation is registered (§4.1.5 登録受付の
通知), 取消通知 when it is revoked. Made from the stored rows each time they are asked for, so they
always say what the service holds."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.utils import timezone, translation

from delegations.document.content import ServiceInfo
from delegations.models import Delegation, SignedFile
from mynatrust.lib.receipt_pdf import render_receipt
from mynatrust.templatetags.moments import moment

KINDS = ("registered", "revoked")


def available(delegation: Delegation) -> list[str]:
    """The notices ``delegation`` has: registered once it was activated, revoked once revoked."""
    found = []
    if delegation.activated_at is not None:
        found.append("registered")
    if delegation.revoked_at is not None:
        found.append("revoked")
    return found


def _when(value: datetime | None) -> str:
    return moment(timezone.localtime(value)) if value else "—"


def _period(delegation: Delegation) -> str:
    from django.utils.formats import date_format

    return (
        f"{date_format(delegation.valid_from, 'DATE_FORMAT')} 〜 {date_format(delegation.valid_until, 'DATE_FORMAT')}"
    )


def _parties(delegation: Delegation) -> list[tuple[str, str]]:
    agent = delegation.agent_name + (f"（{delegation.agent_title}）" if delegation.agent_title else "")
    return [
        ("電子委任状 ID", delegation.delegation_id or "—"),
        ("委任者", delegation.principal_name),
        ("受任者", agent),
        ("委任期間", _period(delegation)),
    ]


def render(delegation: Delegation, kind: str) -> bytes:
    """The PDF of notice ``kind`` (one of :data:`available`)."""
    if kind not in available(delegation):
        raise ValueError(kind)
    with translation.override("ja"):
        return _registered(delegation) if kind == "registered" else _revoked(delegation)


def _issued() -> str:
    return f"{_when(timezone.now())}　{settings.SERVICE_NAME} 発行"


def _registered(delegation: Delegation) -> bytes:
    principal = SignedFile.objects.filter(delegation=delegation, role=SignedFile.Role.PRINCIPAL).first()
    service = ServiceInfo.from_settings(delegation.delegation_id or "")
    return render_receipt(
        title="登録完了通知",
        service_name=settings.SERVICE_NAME,
        reference_label="受付番号（電子委任状の登録申請）",
        reference=delegation.reception_number or "—",
        rows=[
            *_parties(delegation),
            ("代理権の内容", delegation.powers),
            ("代理権の制限", delegation.limitations or "なし"),
            ("署名済みファイルの受付日時", _when(delegation.submitted_at)),
            ("登録日時", _when(delegation.activated_at)),
            ("電子委任状 XML の SHA-256", delegation.xml_sha256),
            ("署名済みファイルの SHA-256", principal.sha256 if principal else "—"),
            ("有効性の確認", service.validity_url),
        ],
        notes=[
            "上記の電子委任状を登録し、保管しました（運用規程 4.1.5）。受領者等からの有効性の照会には、"
            "委任期間と取消しの有無に従って回答します。",
            "登録内容に変更が生じたときは、遅滞なく変更後の電子委任状を提出してください。",
            "この通知の時点の状態は、利用者メニューの電子委任状の詳細でいつでも確認できます。",
        ],
        issued=_issued(),
    )


def _revoked(delegation: Delegation) -> bytes:
    by_operator = delegation.revoked_by is not None and getattr(delegation.revoked_by, "kind", "") == "staff"
    return render_receipt(
        title="取消通知",
        service_name=settings.SERVICE_NAME,
        reference_label="受付番号（電子委任状の取消し）",
        reference=delegation.revocation_number or "—",
        rows=[
            *_parties(delegation),
            ("取消日時", _when(delegation.revoked_at)),
            ("取消しをした者", "本サービスの運用者" if by_operator else "利用者"),
            ("理由", delegation.decision_reason or "—"),
            ("登録申請の受付番号", delegation.reception_number or "—"),
        ],
        notes=[
            "上記の電子委任状を取り消しました。取消日時以降、受領者等からの有効性の照会には"
            "「取消し済み」と回答します。取り消した電子委任状を再び有効にすることはできません。",
            "代理権を改めて付与するときは、新しい電子委任状を作成してください。",
        ],
        issued=_issued(),
    )
