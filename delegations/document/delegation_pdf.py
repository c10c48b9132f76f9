"""The delegation as an A4 PDF for people, carrying the canonical XML as ``delegation.xml``."""

from __future__ import annotations

from django.utils import translation
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer

from mynatrust.lib.pdf_layout import (
    BODY,
    HEADING,
    ID_STYLE,
    SMALL,
    SUBTITLE,
    TITLE,
    build,
    has_unprintable,
    item_table,
    paragraphs,
    printable,
    qr_with_caption,
    register_fonts,
)

from . import delegation_xml, embedded_files
from .content import CorporatePrincipal, DelegationContent, SoleProprietorPrincipal
from .dates import japanese_date


def render_pdf(content: DelegationContent) -> bytes:
    """The PDF with the XML of ``content`` attached; the same content gives the same bytes."""
    xml = delegation_xml.to_xml(content)
    # The signed document is Japanese whatever language the person finalising it reads the site in.
    with translation.override("ja"):
        layout = _layout(content, xml)
    return embedded_files.attach(
        layout,
        xml,
        filename=delegation_xml.FILENAME,
        mime_type=delegation_xml.MIME_TYPE,
        description=f"電子委任状 {content.delegation_id}（署名対象の XML）",
    )


def extract_xml(pdf: bytes) -> bytes:
    """The ``delegation.xml`` a delegation PDF carries (compare its SHA-256 with the stored one)."""
    return embedded_files.extract(pdf, delegation_xml.FILENAME)


def _layout(content: DelegationContent, xml: bytes) -> bytes:
    register_fonts()
    return build(
        _story(content, xml),
        footer=f"電子委任状 ID {content.delegation_id}",
        title=f"電子委任状 {content.delegation_id}",
        author=content.principal.display_name,
        subject="電子委任状（委任者記録ファイル方式）",
        creator=content.service.name,
    )


def principal_rows_of(principal: CorporatePrincipal | SoleProprietorPrincipal) -> list[tuple[str, str]]:
    """The principal's items of Table 4-1 as (label, value) rows, in the table's order."""
    if isinstance(principal, CorporatePrincipal):
        return [
            ("区分", "法人"),
            ("法人番号", principal.corporate_number),
            ("商号又は名称", principal.name),
            ("本店又は主たる事務所の所在地", principal.head_office_address),
            ("代表者の役職", principal.representative_title),
            ("代表者の氏名", principal.representative_name),
        ]
    return [
        ("区分", "個人事業主"),
        ("屋号", principal.trade_name or "（なし）"),
        ("氏名", principal.name),
        ("住所（事業所所在地）", principal.business_address),
        ("生年月日", japanese_date(principal.date_of_birth)),
    ]


def _story(content: DelegationContent, xml: bytes) -> list[Flowable]:
    story: list[Flowable] = [
        Paragraph("電子委任状", TITLE),
        Paragraph(printable(f"{content.service.name}（電子委任状取扱サービス・委任者記録ファイル方式）"), SUBTITLE),
        Spacer(1, 8),
        Paragraph("電子委任状 ID", SUBTITLE),
        Paragraph(content.delegation_id, ID_STYLE),
        Spacer(1, 6),
        Paragraph("委任者は、下記の受任者に対し、下記の委任期間において、下記の代理権を与えます。", BODY),
        KeepTogether([Paragraph("1. 委任者", HEADING), item_table(principal_rows_of(content.principal))]),
        KeepTogether([Paragraph("2. 受任者", HEADING), item_table(_agent_rows(content))]),
        Paragraph("3. 代理権の内容", HEADING),
        *paragraphs(content.powers),
        Paragraph("4. 代理権の制限", HEADING),
        *paragraphs(content.limitations, empty="なし"),
        KeepTogether(
            [
                Paragraph("5. 委任期間", HEADING),
                Paragraph(
                    printable(f"{japanese_date(content.valid_from)}から{japanese_date(content.valid_until)}まで"),
                    BODY,
                ),
            ]
        ),
        _service_section(content),
        Spacer(1, 6),
        Paragraph(
            printable(
                "この PDF には、電子署名の対象となる XML（"
                f"{delegation_xml.FILENAME}、SHA-256: {delegation_xml.sha256_hex(xml)}）が添付されています。"
                "記載内容と XML が異なる場合は XML の内容によります。"
                "この電子委任状が現在有効かどうかは、上記の有効性確認 URL で確認できます。"
            ),
            SMALL,
        ),
    ]
    if has_unprintable(_all_text(content)):
        story.append(
            Paragraph(
                "〓 は、この PDF の文字コードで表示できない文字です。正確な文字は添付の XML に記録されています。",
                SMALL,
            )
        )
    return story


def _agent_rows(content: DelegationContent) -> list[tuple[str, str]]:
    agent = content.agent
    rows = [("氏名", agent.name)]
    if agent.title:
        rows.append(("役職", agent.title))
    if agent.qualification is not None:
        rows.append(("資格（士業）", str(agent.qualification.label)))
    return [*rows, ("住所", agent.address), (str(agent.identifier_kind.label), agent.identifier)]


def _service_section(content: DelegationContent) -> Flowable:
    """6. The service, with the QR code of the validity URL."""
    return KeepTogether(
        [
            Paragraph("6. 電子委任状取扱サービス", HEADING),
            item_table(
                [
                    ("サービスの名称", content.service.name),
                    ("運用規程", content.service.policy_url),
                    ("有効性の確認", content.service.validity_url),
                    ("作成日", japanese_date(content.issued_on)),
                ]
            ),
            Spacer(1, 4),
            qr_with_caption(
                content.service.validity_url,
                "この QR コードは上記の有効性確認 URL（電子委任状 ID 入り）です。"
                "スマートフォン等で読み取ると、この電子委任状が現在有効かどうかを確認する方法が表示されます。",
            ),
        ]
    )


def _all_text(content: DelegationContent) -> str:
    return delegation_xml.to_xml(content).decode()
