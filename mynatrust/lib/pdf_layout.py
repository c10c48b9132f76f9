"""What the service's PDFs share: A4 pages, the Japanese fonts, paragraph styles, page footers.

Fonts: reportlab's standard Japanese CID fonts, HeiseiMin-W3 (明朝) for text and HeiseiKakuGo-W5
(ゴシック) for headings, with the UniJIS-UCS2-H encoding. They are not embedded: every PDF viewer
brings its own Adobe-Japan1 font for them (docs/documents.md explains the choice). That encoding
cannot carry characters outside the Basic Multilingual Plane (such as 𠮷), so the PDF shows 〓 in
their place and says so; the attached XML, which is what gets signed, has the exact text.
"""

from __future__ import annotations

from collections.abc import Iterable
from io import BytesIO
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

TEXT_FONT = "HeiseiMin-W3"
HEADING_FONT = "HeiseiKakuGo-W5"
PAGE_SIZE = A4
MARGIN = 18 * mm
GETA = "〓"
CONTENT_WIDTH = PAGE_SIZE[0] - 2 * MARGIN
LABEL_WIDTH = 42 * mm

_registered = False


def register_fonts() -> None:
    global _registered
    if not _registered:
        pdfmetrics.registerFont(UnicodeCIDFont(TEXT_FONT))
        pdfmetrics.registerFont(UnicodeCIDFont(HEADING_FONT))
        _registered = True


def _style(name: str, **options: Any) -> ParagraphStyle:
    defaults: dict[str, Any] = {"fontName": TEXT_FONT, "fontSize": 10.5, "leading": 16, "wordWrap": "CJK"}
    return ParagraphStyle(name, **(defaults | options))


TITLE = _style("title", fontName=HEADING_FONT, fontSize=20, leading=28, alignment=TA_CENTER, spaceAfter=4)
SUBTITLE = _style("subtitle", fontSize=10, leading=14, alignment=TA_CENTER, textColor=colors.HexColor("#444444"))
HEADING = _style("heading", fontName=HEADING_FONT, fontSize=12, leading=16, spaceBefore=8, spaceAfter=3)
BODY = _style("body")
LABEL = _style("label", fontName=HEADING_FONT, fontSize=9.5, leading=15)
VALUE = _style("value")
SMALL = _style("small", fontSize=8.5, leading=12, textColor=colors.HexColor("#444444"), allowWidows=0)
ID_STYLE = _style("id", fontName="Courier-Bold", fontSize=16, leading=22, alignment=TA_CENTER)


def has_unprintable(text: str) -> bool:
    return any(ord(c) > 0xFFFF for c in text)


def printable(text: str) -> str:
    """``text`` escaped for a reportlab paragraph, characters the font encoding lacks as 〓."""
    return escape("".join(GETA if ord(c) > 0xFFFF else c for c in text))


def paragraphs(text: str, style: ParagraphStyle = BODY, *, empty: str = "") -> list[Flowable]:
    """One paragraph per line, so a long text breaks across pages; blank lines keep their space."""
    if not text.strip():
        return [Paragraph(printable(empty), style)]
    flowables: list[Flowable] = []
    for line in text.split("\n"):
        if line.strip():
            # Paragraph collapses runs of spaces; keep an indent made of ideographic spaces.
            indent = len(line) - len(line.lstrip(" 　"))
            flowables.append(Paragraph("&#12288;" * indent + printable(line.lstrip(" 　")), style))
        else:
            flowables.append(Spacer(1, style.leading / 2))
    return flowables


def item_table(rows: Iterable[tuple[str, str]]) -> Table:
    """Label and value rows in a ruled table; values wrap inside their cell."""
    data = [[Paragraph(printable(label), LABEL), Paragraph(printable(value) or "—", VALUE)] for label, value in rows]
    table = Table(data, colWidths=[LABEL_WIDTH, CONTENT_WIDTH - LABEL_WIDTH], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#888888")),
                ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#EEEEEE")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 2.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3.5),
            ]
        )
    )
    return table


def footer_canvas(left_text: str) -> type[Canvas]:
    """A canvas class that writes ``left_text`` and ``page n / total`` at the foot of every page."""

    class FooterCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:  # reportlab's name
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                self.setFont(TEXT_FONT, 8)
                self.setFillColor(colors.HexColor("#444444"))
                self.drawString(MARGIN, 10 * mm, left_text)
                self.drawRightString(PAGE_SIZE[0] - MARGIN, 10 * mm, f"{number} / {total} ページ")
                super().showPage()
            super().save()

    return FooterCanvas


def build(story: list[Flowable], *, footer: str, title: str, author: str, subject: str, creator: str) -> bytes:
    """The PDF bytes of ``story`` on A4 pages with the service's margins and ``footer`` on every page
    (call :func:`register_fonts` before making the story)."""
    register_fonts()
    output = BytesIO()
    document = SimpleDocTemplate(
        output,
        pagesize=PAGE_SIZE,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN + 6,
        title=title,
        author=author,
        subject=subject,
        creator=creator,
        invariant=True,
    )
    document.build(story, canvasmaker=footer_canvas(footer))
    return output.getvalue()


def qr_code(text: str, *, size: float = 30 * mm) -> Flowable:
    """A QR code of ``text`` (reportlab's own encoder, error correction M), ``size`` wide."""
    from reportlab.graphics.barcode.qr import QrCodeWidget
    from reportlab.graphics.shapes import Drawing

    widget = QrCodeWidget(text, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(widget)
    return drawing


def qr_with_caption(text: str, caption: str) -> Flowable:
    """The QR code beside its caption, in one row that is never split."""
    table = Table([[qr_code(text), Paragraph(printable(caption), SMALL)]], colWidths=[34 * mm, None])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("LEFTPADDING", (0, 0), (0, 0), 0)]))
    return table
