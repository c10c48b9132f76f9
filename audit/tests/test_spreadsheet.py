"""Every cell of every CSV export is safe to open in a spreadsheet (audit.spreadsheet)."""

from __future__ import annotations

import io

import pytest

from audit import spreadsheet


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        # Full-width signs: Japanese Excel reads them as the ASCII ones.
        ("＝1+1", "'＝1+1"),
        ("＋81", "'＋81"),
        ("－5", "'－5"),
        ("＠cmd", "'＠cmd"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("\nx", "'\nx"),
        # An apostrophe gets one more, so a reader that removes one gets the value back.
        ("'quoted", "''quoted"),
        ("株式会社=マイナ", "株式会社=マイナ"),
        ("", ""),
        (None, ""),
        (12, "12"),
    ],
)
def test_a_cell_is_never_a_formula(value, written):
    assert spreadsheet.cell(value) == written


def test_the_writer_neutralises_every_cell_of_a_row():
    buffer = io.StringIO()
    spreadsheet.Writer(buffer).writerow(["=1", "ok", "＠x"])
    assert buffer.getvalue() == "'=1,ok,'＠x\r\n"
