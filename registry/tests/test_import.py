"""manage.py import_corporate_numbers: streaming, idempotent, resumable; bad rows reported by line."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from registry.importer import Importer
from registry.models import CorporateRecord, ImportRun

from .nta_data import nta_row, number_for, write_csv, write_zip

pytestmark = pytest.mark.django_db


def run(*args, **options):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_corporate_numbers", *[str(a) for a in args], stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def table():
    return list(CorporateRecord.objects.order_by("pk").values())


def test_it_imports_a_unicode_csv(tmp_path):
    path = write_csv(tmp_path / "all.csv", [nta_row(i) for i in range(25)])
    out, _err = run(path)
    assert CorporateRecord.objects.count() == 25
    record = CorporateRecord.objects.get(pk=number_for(3))
    assert record.name == "株式会社テスト商事3" and record.prefecture_name == "東京都"
    assert str(record.update_date) == "2024-04-01" and record.close_date is None
    assert "25 件を取り込み、不正な行 0 件を飛ばしました。" in out


def test_an_english_reader_gets_the_summary_and_the_bad_rows_in_english(tmp_path):
    from django.utils import translation

    path = write_csv(tmp_path / "mixed.csv", [nta_row(0), nta_row(1)[:12], nta_row(2, update_date="2024-13-45")])
    with translation.override("en"):
        out, err = run(path)
    assert "mixed.csv:2: 12 columns (expected 30)" in err
    assert "mixed.csv:3: invalid date in updateDate: '2024-13-45'" in err
    assert "1 rows imported, 2 bad rows skipped." in out


def test_importing_the_same_file_twice_leaves_the_same_table(tmp_path):
    path = write_csv(tmp_path / "all.csv", [nta_row(i) for i in range(40)])
    run(path, batch_size=7)
    first = table()
    out, _err = run(path, batch_size=7)
    assert "all.csv: 取り込み済みです（40 件）。" in out
    assert table() == first
    run(path, batch_size=7, force=True)
    assert table() == first


@pytest.mark.parametrize("encoding", ["cp932", "utf-8"])
def test_it_reads_zip_downloads_in_shift_jis_and_unicode(tmp_path, encoding):
    rows = [nta_row(i, name=f"株式会社髙島屋①{i}" if encoding == "utf-8" else f"株式会社高島屋{i}") for i in range(5)]
    run(write_zip(tmp_path / "all.zip", rows, encoding=encoding))
    assert CorporateRecord.objects.get(pk=number_for(2)).name.startswith("株式会社")
    assert CorporateRecord.objects.count() == 5


def test_bad_rows_are_reported_with_their_line_numbers_and_skipped(tmp_path):
    good = [nta_row(i) for i in range(6)]
    wrong_check_digit = nta_row(
        10, number="1" + number_for(10)[1:] if number_for(10)[0] != "1" else "2" + number_for(10)[1:]
    )
    bad_date = nta_row(11, update_date="2024-13-45")
    short = nta_row(12)[:12]
    path = tmp_path / "mixed.csv"
    write_csv(path, [good[0], wrong_check_digit, good[1], bad_date, good[2], short, good[3]])
    with open(path, "ab") as f:  # line 8: a Shift_JIS line inside a UTF-8 file
        f.write('"99","broken","名前"\r\n'.encode("cp932"))
        f.write(('"' + '","'.join(good[4]) + '"\r\n').encode())
    out, err = run(path)
    assert "mixed.csv:2: 法人番号が正しくありません" in err
    assert "mixed.csv:4: updateDate の日付が正しくありません" in err
    assert "mixed.csv:6: 列の数が12です" in err
    assert "mixed.csv:8: 文字コード" in err
    assert CorporateRecord.objects.count() == 5
    assert "不正な行 4 件" in out
    assert ImportRun.objects.get().bad_rows == 4


def test_a_file_in_an_unreadable_encoding_is_refused_and_nothing_written(tmp_path):
    path = write_csv(tmp_path / "utf16.csv", [nta_row(i) for i in range(3)], encoding="utf-16")
    with pytest.raises(CommandError, match="UTF-16"):
        run(path)
    assert not CorporateRecord.objects.exists()


def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="ファイルがありません"):
        run(tmp_path / "nope.csv")


def test_an_interrupted_import_resumes_after_its_last_committed_batch(tmp_path, monkeypatch):
    path = write_csv(tmp_path / "all.csv", [nta_row(i) for i in range(30)])
    calls = {"n": 0}
    original = Importer._write

    def failing_write(self, rows, summary):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt  # the operator pressed Ctrl-C during the third batch
        return original(self, rows, summary)

    monkeypatch.setattr(Importer, "_write", failing_write)
    with pytest.raises(KeyboardInterrupt):
        run(path, batch_size=10)
    assert CorporateRecord.objects.count() == 20
    assert ImportRun.objects.get().lines_done == 20
    monkeypatch.setattr(Importer, "_write", original)
    out, _err = run(path, batch_size=10)
    assert "（20 行目の次から再開）" in out
    assert CorporateRecord.objects.count() == 30
    assert ImportRun.objects.get().finished_at is not None


def test_difference_files_update_and_older_data_never_overwrites_newer(tmp_path):
    run(write_csv(tmp_path / "all.csv", [nta_row(i) for i in range(3)]))
    newer = nta_row(1, name="株式会社新商号", update_date="2024-06-01", process="11")
    closed = nta_row(2, update_date="2024-06-01", close_date="2024-05-31", process="21")
    run(write_csv(tmp_path / "diff_0601.csv", [newer, closed]))
    older = nta_row(1, name="株式会社旧商号", update_date="2024-05-01", process="11")
    run(write_csv(tmp_path / "diff_0501.csv", [older]))  # applied late, out of order
    assert CorporateRecord.objects.get(pk=number_for(1)).name == "株式会社新商号"
    assert str(CorporateRecord.objects.get(pk=number_for(2)).close_date) == "2024-05-31"


def test_within_one_file_the_later_row_for_a_number_wins(tmp_path):
    rows = [nta_row(1, name="株式会社一"), nta_row(1, name="株式会社二")]
    run(write_csv(tmp_path / "dup.csv", rows))
    assert CorporateRecord.objects.get(pk=number_for(1)).name == "株式会社二"


def test_history_rows_are_not_the_latest_state(tmp_path):
    rows = [nta_row(1, name="株式会社現在"), nta_row(1, name="株式会社過去", latest="0", update_date="2025-01-01")]
    out, _err = run(write_csv(tmp_path / "history.csv", rows))
    assert CorporateRecord.objects.get(pk=number_for(1)).name == "株式会社現在"
    assert "履歴の行 1 件" in out


def test_a_dry_run_writes_nothing(tmp_path):
    out, _err = run(write_csv(tmp_path / "all.csv", [nta_row(i) for i in range(5)]), dry_run=True)
    assert "試行のみ：5 件を取り込めます。不正な行 0 件を飛ばします。何も書き込んでいません。" in out
    assert not CorporateRecord.objects.exists() and not ImportRun.objects.exists()


def test_the_import_is_audited(tmp_path):
    from audit.models import AuditEvent

    run(write_csv(tmp_path / "all.csv", [nta_row(i) for i in range(2)]))
    event = AuditEvent.objects.get(event_type="registry.corporate_numbers.imported")
    assert event.data["rows"] == 2


@pytest.mark.django_db(transaction=True)
def test_a_pipelined_import_outside_a_transaction_gives_the_same_table(tmp_path):
    # Outside any transaction the command parses in one thread while a second one writes.
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the pipelined import is for PostgreSQL")
    rows = [nta_row(i) for i in range(50)]
    rows[17] = nta_row(17, update_date="2024-02-30")  # refused by PostgreSQL, found again in Python
    path = write_csv(tmp_path / "all.csv", rows)
    importer = Importer(batch_size=8, report_bad=lambda *a: None)
    assert importer.pipeline
    summary = importer.import_file(path)
    assert summary.bad == 1 and summary.bad_examples[0][0] == 18
    assert CorporateRecord.objects.count() == 49
    first = table()
    summary = Importer(batch_size=8, force=True).import_file(path)  # everything conflicts now: merge path
    assert table() == first and summary.written == 49
