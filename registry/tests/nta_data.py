"""Realistic NTA rows and files for the import tests and the benchmark."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

from stdnum.jp import cn

PREFECTURES = [
    ("東京都", "13", "千代田区", "101"),
    ("大阪府", "27", "大阪市北区", "127"),
    ("北海道", "01", "札幌市中央区", "101"),
]


def number_for(index: int) -> str:
    base = f"{(index * 7919) % 10**12:012d}"
    return cn.calc_check_digit(base) + base


def nta_row(
    index: int,
    *,
    number: str | None = None,
    name: str | None = None,
    update_date: str = "2024-04-01",
    latest: str = "1",
    close_date: str = "",
    process: str = "01",
    street: str | None = None,
) -> list[str]:
    pref, pref_code, city, city_code = PREFECTURES[index % len(PREFECTURES)]
    return [
        str(index + 1),
        number or number_for(index),
        process,
        "0",
        update_date,
        "2015-10-05",
        name or f"株式会社テスト商事{index}",
        "",
        "301",
        pref,
        city,
        street or f"一丁目{index % 50 + 1}番{index % 9 + 1}号",
        "",
        pref_code,
        city_code,
        f"{1000000 + index % 8999999:07d}",
        "",
        "",
        close_date,
        "01" if close_date else "",
        "",
        "",
        "2015-10-05",
        latest,
        f"Test Shoji Co.,Ltd. {index}",
        "Tokyo",
        "Chiyoda ku",
        "",
        f"テストショウジ{index}",
        "0",
    ]


def write_csv(path: Path, rows: list[list[str]], *, encoding: str = "utf-8") -> Path:
    with open(path, "w", encoding=encoding, newline="") as f:
        csv.writer(f, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows(rows)
    return path


def write_zip(path: Path, rows: list[list[str]], *, encoding: str = "utf-8") -> Path:
    text = io.StringIO()
    csv.writer(text, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows(rows)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("13_tokyo_all_20241129.csv", text.getvalue().encode(encoding))
    return path
