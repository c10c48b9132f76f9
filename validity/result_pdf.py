"""The printable 確認結果 of a kept check (§5.1): the answer, the time, the checker and the service's
signed record. The JWS itself is attached to the PDF as a file (the PDF is not signed: the record
is what a third party verifies, with the public key at /.well-known/jwks.json), and its SHA-256 is
printed so a paper copy names the record it came with."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from delegations.document import embedded_files
from mynatrust.lib.delegation_id import in_file_name
from mynatrust.lib.receipt_pdf import render_receipt
from mynatrust.templatetags.moments import moment
from validity.answer import Status
from validity.models import CheckResult
from validity.presentation import STATUS_DISPLAY


def jws_file_name(kept: CheckResult) -> str:
    return f"validity-{in_file_name(kept.delegation_id)}.jws"


def render(kept: CheckResult) -> bytes:
    with translation.override("ja"):
        pdf = _render(kept)
    if not kept.signed_record:
        return pdf
    return embedded_files.attach(
        pdf,
        kept.signed_record.encode(),
        filename=jws_file_name(kept),
        mime_type="application/jose",
        description=f"電子委任状 {kept.delegation_id} の有効性確認の結果（{settings.SERVICE_NAME} の署名付きの記録）",
    )


def _when(text: str | None) -> str:
    return moment(timezone.localtime(datetime.fromisoformat(text))) if text else "—"


def _result_rows(kept: CheckResult) -> list[tuple[str, str]]:
    answer = kept.answer
    display = STATUS_DISPLAY[Status(kept.status)]
    checker = kept.checked_by
    rows = [
        ("結果", str(display.word)),
        ("説明", str(display.explanation)),
        ("確認日時", _when(answer.get("checked_at"))),
        ("確認者", f"{checker.display_name or checker.email}（{kept.organisation.name}）"),
    ]
    if "period" in answer:
        start, end = (date.fromisoformat(answer["period"][k]) for k in ("valid_from", "valid_until"))
        rows.append(("委任期間", f"{date_format(start, 'DATE_FORMAT')} 〜 {date_format(end, 'DATE_FORMAT')}"))
    if answer.get("revoked_at"):
        rows.append(("取消し日時", _when(answer["revoked_at"])))
    if answer.get("superseded_at"):
        rows.append(("変更日時", _when(answer["superseded_at"])))
    return rows


def _content_section(answer: dict[str, Any]) -> list[tuple[str, list[tuple[str, str]]]]:
    if "principal" not in answer:
        return []
    principal = answer["principal"]
    agent = answer.get("agent", {})
    number = f"（法人番号 {principal['corporate_number']}）" if principal.get("corporate_number") else ""
    return [
        (
            "電子委任状の内容",
            [
                ("委任者", principal.get("name", "") + number),
                ("受任者", agent.get("name", "") + (f"（{agent['title']}）" if agent.get("title") else "")),
                ("代理権の内容", answer.get("powers", "")),
                ("代理権の制限", answer.get("limitations") or "なし"),
                ("保管ファイルの SHA-256", answer.get("signed_file_sha256", "")),
            ],
        )
    ]


def _file_section(kept: CheckResult) -> list[tuple[str, list[tuple[str, str]]]]:
    if not kept.file_sha256:
        return []
    match = {True: "一致", False: "不一致（このファイルを有効な電子委任状として扱わないでください）"}.get(
        kept.answer.get("digest_match"), "照合できません"
    )
    return [
        (
            "お手元のファイルとの照合",
            [
                ("結果", match),
                ("ファイル", f"{kept.file_name}（{kept.file_size or 0:,} バイト、保存していません）"),
                ("SHA-256", kept.file_sha256),
            ],
        )
    ]


def _record_rows(kept: CheckResult) -> list[tuple[str, str]]:
    if not kept.signed_record:
        return [("署名付きの記録", "作成できませんでした")]
    digest = hashlib.sha256(kept.signed_record.encode()).hexdigest()
    base = settings.SERVICE_BASE_URL.rstrip("/")
    return [
        ("署名付きの記録", f"添付ファイル {jws_file_name(kept)}（JWS）"),
        ("記録の SHA-256", digest),
        ("公開鍵", base + reverse("jwks")),
    ]


def _render(kept: CheckResult) -> bytes:
    sections = [
        *_content_section(kept.answer),
        *_file_section(kept),
        ("当サービスの署名", _record_rows(kept)),
    ]
    return render_receipt(
        title="有効性の確認結果",
        service_name=settings.SERVICE_NAME,
        reference_label="電子委任状 ID",
        reference=kept.delegation_id,
        rows=_result_rows(kept),
        sections=sections,
        notes=[
            "この書面は、上記の確認日時に当サービスが回答した結果を写したものです。確認日時より後の取消し等は"
            "反映していません。現在の状態は改めて確認してください。",
            "回答の真正性は、添付の署名付きの記録（JWS）を公開鍵で検証して確かめられます。",
        ],
        issued=f"{moment(timezone.localtime(timezone.now()))}　{settings.SERVICE_NAME} 発行",
    )
