"""The agent's acceptance as an A4 PDF, carrying its canonical XML as ``acceptance.xml``."""

from __future__ import annotations

from django.utils import translation
from reportlab.platypus import Flowable, Paragraph, Spacer

from mynatrust.lib.pdf_layout import (
    BODY,
    HEADING,
    ID_STYLE,
    SMALL,
    SUBTITLE,
    TITLE,
    build,
    item_table,
    printable,
    register_fonts,
)

from . import acceptance, embedded_files
from .dates import japanese_date


def render_pdf(content: acceptance.AcceptanceContent) -> bytes:
    # The signed acceptance is Japanese whatever language the site is read in.
    with translation.override("ja"):
        return _render_pdf(content)


def _render_pdf(content: acceptance.AcceptanceContent) -> bytes:
    xml = acceptance.to_xml(content)
    register_fonts()
    pdf = build(
        _story(content),
        footer=f"受諾書 電子委任状 ID {content.delegation_id}",
        title=f"受諾書 {content.delegation_id}",
        author=content.agent_name,
        subject="電子委任状による委任の受諾",
        creator=content.service.name,
    )
    return embedded_files.attach(
        pdf,
        xml,
        filename=acceptance.FILENAME,
        mime_type=acceptance.MIME_TYPE,
        description=f"電子委任状 {content.delegation_id} の受諾書（署名対象の XML）",
    )


def extract_xml(pdf: bytes) -> bytes:
    return embedded_files.extract(pdf, acceptance.FILENAME)


def _story(content: acceptance.AcceptanceContent) -> list[Flowable]:
    return [
        Paragraph("受諾書", TITLE),
        Paragraph(printable(f"{content.service.name}（電子委任状取扱サービス）"), SUBTITLE),
        Spacer(1, 8),
        Paragraph("電子委任状 ID", SUBTITLE),
        Paragraph(content.delegation_id, ID_STYLE),
        Spacer(1, 6),
        Paragraph("受諾する電子委任状", HEADING),
        item_table(
            [
                ("電子委任状 ID", content.delegation_id),
                ("電子委任状 XML の SHA-256", content.delegation_sha256),
                ("委任者", content.principal_name),
                ("受任者", content.agent_name),
                ("有効性の確認", content.service.validity_url),
                ("運用規程", content.service.policy_url),
                ("作成日", japanese_date(content.issued_on)),
            ]
        ),
        Spacer(1, 12),
        Paragraph(printable(acceptance.STATEMENT), BODY),
        Spacer(1, 10),
        Paragraph(
            printable(
                f"受任者 {content.agent_name} は、この受諾書に署名用電子証明書で電子署名することにより本人であることを示します。"
                f"この PDF には、電子署名の対象となる XML（{acceptance.FILENAME}）が添付されています。"
            ),
            SMALL,
        ),
    ]
