"""Checks on an uploaded registry certificate: bytes in, facts out, no ORM.

A file is accepted only if it starts like a PDF, parses as one (pyHanko's reader), is not encrypted,
is within the size limit and does nothing when opened: a certificate of registered matters carries
no script, launch action, submitting form or attachment, and reception opens these files. The digest is taken over exactly the bytes that will be stored."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from pyhanko.pdf_utils.reader import PdfFileReader

from mynatrust.lib.pdf_content import active_content, page_count

PDF_MAGIC = b"%PDF-"


class PdfCheckError(ValueError):
    """``code`` is one of: empty, too_large, not_pdf, broken, encrypted, active_content."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class CheckedPdf:
    content: bytes
    sha256: str
    page_count: int


def check_pdf(content: bytes, *, max_size: int) -> CheckedPdf:
    if not content:
        raise PdfCheckError("empty")
    if len(content) > max_size:
        raise PdfCheckError("too_large")
    if not content.startswith(PDF_MAGIC):
        raise PdfCheckError("not_pdf")
    try:
        reader = PdfFileReader(io.BytesIO(content), strict=False)
        if reader.encrypted:
            raise PdfCheckError("encrypted")
        pages = page_count(reader)
        active = active_content(content)
    except PdfCheckError:
        raise
    except Exception as exc:  # any parser failure means: not a usable PDF
        raise PdfCheckError("broken") from exc
    if pages < 1:
        raise PdfCheckError("broken")
    if active:
        raise PdfCheckError("active_content")
    return CheckedPdf(content, hashlib.sha256(content).hexdigest(), pages)
