"""申込受付票 and 変更届受付票: a copy of what a subscriber submitted, with its 受付番号, when it was
received and how long review usually takes (§3.1, §3.2, §4.1.5 登録受付の通知)."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone, translation
from django.utils.formats import date_format

from mynatrust.lib.receipt_pdf import render_receipt
from mynatrust.templatetags.moments import moment
from registry import reception
from registry.models import RegistryEvidence, SubscriberFacts
from registry.services import review_days


def render(facts: SubscriberFacts) -> bytes:
    with translation.override("ja"):
        return _render(facts)


def _render(facts: SubscriberFacts) -> bytes:
    subscriber = facts.subscriber
    kind = reception.label_of(facts.reception_number) or ("利用申込" if facts.version == 1 else "変更届")
    submitter = facts.submitted_by
    rows = [
        ("受付の種類", kind),
        ("受付日時", moment(timezone.localtime(facts.submitted_at))),
        (
            "届出をした担当者",
            f"{submitter.display_name}（{submitter.email}）" if submitter.display_name else submitter.email,
        ),
        ("区分", subscriber.get_kind_display()),
    ]
    if subscriber.corporate_number:
        rows.append(("法人番号", subscriber.corporate_number))
    rows.append(("現在の状態", facts.get_state_display()))
    if facts.state == SubscriberFacts.State.PENDING:
        rows.append(("審査の目安", f"受付から{review_days()}日以内（結果はメールでお知らせします）"))
    declared = [
        (str(getattr(SubscriberFacts._meta.get_field(name), "verbose_name", name)), _value(facts, name))
        for name in SubscriberFacts.DECLARED_FIELDS
    ]
    sections = [("届け出た内容", [(label, value) for label, value in declared if value])]
    evidence = [_evidence_row(item) for item in facts.evidence.defer("content").order_by("uploaded_at", "pk")]
    if evidence:
        sections.append(("提出した書類", evidence))
    if facts.version == 1:
        sections.append(
            (
                "同意と表明",
                [
                    (
                        "利用約款",
                        f"{subscriber.terms_version} 版に同意（{moment(timezone.localtime(subscriber.terms_accepted_at))}）",
                    ),
                    (
                        "反社会的勢力の排除",
                        f"表明済み（{moment(timezone.localtime(subscriber.antisocial_declared_at))}）",
                    ),
                ],
            )
        )
    return render_receipt(
        title="申込受付票" if facts.version == 1 else "変更届受付票",
        service_name=settings.SERVICE_NAME,
        reference_label="受付番号",
        reference=facts.reception_number or "—",
        rows=rows,
        sections=sections,
        notes=[
            "この受付票は、上記の内容を受け付けたことを示すもので、承認を示すものではありません。",
            "お問い合わせの際は受付番号をお知らせください。",
        ],
        issued=f"{moment(timezone.localtime(timezone.now()))}　{settings.SERVICE_NAME} 発行",
    )


def _value(facts: SubscriberFacts, name: str) -> str:
    value = getattr(facts, name)
    if value is None:
        return ""
    return date_format(value, "DATE_FORMAT") if name == "representative_birth_date" else str(value)


def _evidence_row(item: RegistryEvidence) -> tuple[str, str]:
    issued = date_format(item.issued_on, "DATE_FORMAT")
    if item.kind == RegistryEvidence.Kind.PDF:
        return (
            "登記事項証明書（PDF）",
            f"{item.file_name}（{item.size:,} バイト、発行日 {issued}）　SHA-256 {item.sha256}",
        )
    return ("登記情報提供サービスの照会番号", f"{item.online_reference}（照会日 {issued}）")
