"""The receipts and notices the service issues as PDF (申込受付票, 登録完了通知, 取消通知, 確認結果).

One layout for all: the title, the service, the reception number (or other reference) large enough
to read out on the phone, a ruled table of what was received or decided, notes, and who issued it
when. Japanese whatever language the site is read in, like the signed documents."""

from __future__ import annotations

from collections.abc import Iterable

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
    paragraphs,
    printable,
    register_fonts,
)


def render_receipt(
    *,
    title: str,
    service_name: str,
    reference_label: str,
    reference: str,
    rows: Iterable[tuple[str, str]],
    sections: Iterable[tuple[str, Iterable[tuple[str, str]]]] = (),
    notes: Iterable[str] = (),
    issued: str,
) -> bytes:
    """A4 PDF bytes. ``rows`` go under the reference; each of ``sections`` is a heading and its rows;
    ``notes`` are paragraphs in small type; ``issued`` says who issued it when."""
    register_fonts()
    story: list[Flowable] = [
        Paragraph(printable(title), TITLE),
        Paragraph(printable(service_name), SUBTITLE),
        Spacer(1, 8),
        Paragraph(printable(reference_label), SUBTITLE),
        Paragraph(printable(reference), ID_STYLE),
        Spacer(1, 6),
        item_table(rows),
    ]
    for heading, section_rows in sections:
        story += [Paragraph(printable(heading), HEADING), item_table(section_rows)]
    story.append(Spacer(1, 8))
    for note in notes:
        story += paragraphs(note, SMALL)
    story += [Spacer(1, 10), Paragraph(printable(issued), BODY)]
    return build(
        story,
        footer=f"{title} {reference_label} {reference}",
        title=f"{title} {reference}",
        author=service_name,
        subject=title,
        creator=service_name,
    )
