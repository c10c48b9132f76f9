"""A PDF page drawn as a PNG by pdftoppm in a bounded child process (mynatrust/lib/pdf_pages.py)."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from reportlab.pdfgen import canvas

from mynatrust.lib import pdf_pages
from mynatrust.lib.pdf_pages import PdfPageError, render_page


def pdf(*sizes: tuple[float, float]) -> bytes:
    buffer = io.BytesIO()
    doc = canvas.Canvas(buffer)
    for number, size in enumerate(sizes, 1):
        doc.setPageSize(size)
        doc.drawString(72, 72, f"page {number}")
        doc.showPage()
    doc.save()
    return buffer.getvalue()


A4 = (595.0, 842.0)


def test_each_page_is_a_png_whose_longer_side_is_the_size_asked():
    content = pdf(A4, A4)
    for number in (1, 2):
        image = Image.open(io.BytesIO(render_page(content, number, size=800)))
        assert image.format == "PNG"
        assert max(image.size) == 800 and image.size[0] < image.size[1]


def test_a_page_declared_enormous_still_gives_a_bounded_image():
    image = Image.open(io.BytesIO(render_page(pdf((14400.0, 200.0)), 1, size=1000)))
    assert max(image.size) <= 1000


@pytest.mark.parametrize("number", [0, 3])
def test_a_page_the_document_does_not_have_is_refused(number):
    with pytest.raises(PdfPageError):
        render_page(pdf(A4, A4), number)


def test_bytes_that_are_no_pdf_are_refused():
    with pytest.raises(PdfPageError) as caught:
        render_page(b"%PDF-1.7\n this is not a document", 1)
    assert caught.value.code in ("failed", "not_png")


def test_a_drawing_that_runs_past_its_time_is_stopped(monkeypatch):
    monkeypatch.setattr(pdf_pages, "TIMEOUT_SECONDS", 0.0001)
    with pytest.raises(PdfPageError) as caught:
        render_page(pdf(A4), 1)
    assert caught.value.code == "timeout"


def test_without_the_renderer_installed_the_error_says_so(monkeypatch):
    monkeypatch.setattr(pdf_pages, "renderer", lambda: None)
    with pytest.raises(PdfPageError) as caught:
        render_page(pdf(A4), 1)
    assert caught.value.code == "missing_renderer"
