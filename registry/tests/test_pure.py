"""Pure helpers: corporate numbers and uploaded-PDF checks (no database)."""

from __future__ import annotations

import pytest

from registry import corporate_number as cn
from registry.pdf_check import PdfCheckError, check_pdf

from .conftest import corporate_number, make_pdf

VALID = corporate_number()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (VALID, VALID),
        (" " + VALID + " ", VALID),
        ("".join(chr(ord(c) + 0xFEE0) for c in VALID), VALID),  # full-width digits
        (f"{VALID[0]}-{VALID[1:5]}-{VALID[5:9]}-{VALID[9:]}", VALID),  # hyphens
        (f"{VALID[:4]}－{VALID[4:]}", VALID),  # full-width hyphen
        (f"{VALID[:4]}ー{VALID[4:]}", VALID),  # a long-vowel mark typed as a hyphen
    ],
)
def test_corporate_numbers_are_normalised(text, expected):
    assert cn.parse(text) == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "empty"),
        (str((int(VALID[0]) + 1) % 10) + VALID[1:], "checksum"),  # wrong check digit
        (VALID[1:], "length"),  # 12 digits: the company registry number
        (VALID + "0", "length"),
        ("12345678901AB", "format"),  # letters
        ("１２３４５６７８９０１２Ａ", "format"),  # full-width letter
    ],
)
def test_bad_corporate_numbers_say_what_is_wrong(text, code):
    with pytest.raises(cn.CorporateNumberError) as error:
        cn.parse(text)
    assert error.value.code == code


def test_the_company_registry_number_is_the_corporate_number_without_its_check_digit():
    assert cn.company_registry_number(VALID) == VALID[1:]


def test_a_real_pdf_passes_with_its_digest_and_page_count():
    content = make_pdf(pages=3)
    checked = check_pdf(content, max_size=10**7)
    assert checked.page_count == 3 and len(checked.sha256) == 64 and checked.content == content


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "empty"),
        (b"\x89PNG\r\n\x1a\n" + b"0" * 100, "not_pdf"),
        (b"<html><body>%PDF-1.7</body></html>", "not_pdf"),  # magic not at the start
        (b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF", "broken"),
        (make_pdf()[:200], "broken"),  # truncated
        (make_pdf(encrypt="pw"), "encrypted"),
        (make_pdf() + b"%" * 2000, "too_large"),
    ],
)
def test_what_is_not_a_usable_pdf_is_refused(content, code):
    with pytest.raises(PdfCheckError) as error:
        check_pdf(content, max_size=len(make_pdf()) + 1000)
    assert error.value.code == code


def test_a_retention_period_under_ten_years_is_a_system_check_error(settings):
    from registry.checks import registry_settings

    assert registry_settings() == []
    settings.REGISTRY_RETENTION_YEARS = 5
    assert [e.id for e in registry_settings()] == ["registry.E001"]
