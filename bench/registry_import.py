"""NTA corporate-number import speed beside PostgreSQL's own COPY of the same file, and lookup latency.

    .venv/bin/python bench/registry_import.py                    # small: 200,000 rows
    .venv/bin/python bench/registry_import.py --rows 5000000     # the figure the issue asks for

Needs PostgreSQL (DATABASE_URL). Works in its own throw-away database (test_<name>, created and
migrated here, dropped at the end), on a generated file in the NTA's format (30 quoted columns, UTF-8,
CRLF, no header). Measured in the same run:
  1. registry.importer.Importer (what `manage.py import_corporate_numbers` runs): decode, validate
     every row (check digit, dates, lengths), COPY each batch into a temporary table, merge it with
     INSERT … ON CONFLICT, commit the batch with the file's progress;
  2. baseline: one server-side `COPY … FROM 'file' (FORMAT csv)` of the same file into a table of the
     same shape with the same primary key (no validation, no merge, no progress);
  3. lookup by number: the primary-key SELECT the application uses, and services.lookup_corporate_number.
Peak memory is the process's resident size sampled after every batch.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mynatrust.settings")

PREFECTURES = [
    ("北海道", "01", "札幌市中央区", "101"),
    ("宮城県", "04", "仙台市青葉区", "101"),
    ("東京都", "13", "千代田区", "101"),
    ("東京都", "13", "港区", "103"),
    ("神奈川県", "14", "横浜市中区", "104"),
    ("愛知県", "23", "名古屋市中区", "106"),
    ("大阪府", "27", "大阪市北区", "127"),
    ("福岡県", "40", "福岡市博多区", "132"),
]
KINDS = ["301", "302", "303", "304", "305", "399", "401", "499", "101", "201"]
WORDS = [
    "みなと",
    "さくら",
    "あおば",
    "ひかり",
    "マイナ",
    "日本",
    "東洋",
    "中央",
    "山田",
    "丸の内",
    "テクノ",
    "グリーン",
]
SUFFIXES = ["商事", "物産", "工業", "建設", "システムズ", "ホールディングス", "不動産", "食品", "運輸", "設計事務所"]
FORMS = ["株式会社{}", "{}株式会社", "合同会社{}", "有限会社{}", "一般社団法人{}"]


def generate(path: Path, rows: int, seed: int = 20261125) -> None:
    from stdnum.jp import cn

    rng = random.Random(seed)
    step = 10**12 // (rows + 1)
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        for i in range(rows):
            base = f"{i * step + rng.randrange(step):012d}"
            pref, pref_code, city, city_code = PREFECTURES[i % len(PREFECTURES)]
            word = WORDS[rng.randrange(len(WORDS))] + SUFFIXES[rng.randrange(len(SUFFIXES))]
            closed = rng.random() < 0.08
            writer.writerow(
                [
                    i + 1,
                    cn.calc_check_digit(base) + base,
                    "21" if closed else "01",
                    "0",
                    f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}",
                    "2015-10-05",
                    FORMS[i % len(FORMS)].format(word),
                    "",
                    KINDS[i % len(KINDS)],
                    pref,
                    city,
                    f"{rng.randrange(1, 10)}丁目{rng.randrange(1, 40)}番{rng.randrange(1, 30)}号",
                    "",
                    pref_code,
                    city_code,
                    f"{rng.randrange(10**6, 10**7):07d}",
                    "",
                    "",
                    "2023-03-31" if closed else "",
                    "01" if closed else "",
                    "",
                    "",
                    "2015-10-05",
                    "1",
                    "",
                    "",
                    "",
                    "",
                    word,
                    "0",
                ]
            )


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--batch-size", type=int, default=20_000)
    parser.add_argument("--lookups", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=None, help="rounds (default 3, 1 from 1,000,000 rows)")
    args = parser.parse_args()
    if args.repeat is None:
        args.repeat = 3 if args.rows < 1_000_000 else 1

    import django

    django.setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("This benchmark compares with PostgreSQL's COPY: set DATABASE_URL to a PostgreSQL database.")
    old_name = connection.settings_dict["NAME"]
    connection.settings_dict.setdefault("TEST", {})["NAME"] = f"bench_registry_{os.getpid()}"
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        run(args)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def run(args: argparse.Namespace) -> None:
    from django.db import connection

    from registry import nta, services
    from registry.importer import Importer
    from registry.models import CorporateRecord

    with tempfile.TemporaryDirectory(prefix="nta-bench-") as tmp:
        path = Path(tmp) / "00_zenkoku_all.csv"
        os.chmod(tmp, 0o755)  # noqa: S103  (the PostgreSQL server process reads the file for the baseline)
        t0 = time.perf_counter()
        generate(path, args.rows)
        size = path.stat().st_size
        print(f"generated {args.rows:,} rows, {size / 1e6:,.0f} MB in {time.perf_counter() - t0:.1f} s")

        # The machine is shared: the import and COPY alternate, and the medians are reported.
        table = CorporateRecord._meta.db_table
        columns = ", ".join(nta.FIELDS)
        dates = ", ".join(sorted(nta.DATE_FIELDS))
        start_rss = rss_mb()
        peak = [start_rss]
        import_times: list[float] = []
        copy_times: list[float] = []
        how = ""

        def progress(summary: object, rate: float) -> None:
            peak[0] = max(peak[0], rss_mb())

        for round_number in range(args.repeat):
            # -- 1. the import (what manage.py import_corporate_numbers runs) ------------------------
            with connection.cursor() as cursor:
                cursor.execute(f"TRUNCATE {table}")
                cursor.execute("TRUNCATE registry_importrun")
                cursor.execute("CHECKPOINT")
            t0 = time.perf_counter()
            summary = Importer(batch_size=args.batch_size, progress=progress).import_file(path)
            import_times.append(time.perf_counter() - t0)
            assert summary.bad == 0 and CorporateRecord.objects.count() == args.rows

            # -- 2. PostgreSQL COPY of the same file into a table of the same shape ---------------------
            with connection.cursor() as cursor:
                cursor.execute("DROP TABLE IF EXISTS bench_copy")
                cursor.execute(f"CREATE TABLE bench_copy (LIKE {table} INCLUDING ALL)")
                cursor.execute("CHECKPOINT")
                t0 = time.perf_counter()
                try:
                    cursor.execute(
                        f"COPY bench_copy ({columns}) FROM %s WITH (FORMAT csv, FORCE_NULL ({dates}))", [str(path)]
                    )
                    how = "COPY FROM file"
                except Exception:  # noqa: BLE001  (not allowed to read server files: stream it, as psql's \copy does)
                    with (
                        open(path, "rb") as f,
                        cursor.cursor.copy(
                            f"COPY bench_copy ({columns}) FROM STDIN WITH (FORMAT csv, FORCE_NULL ({dates}))"
                        ) as copy,
                    ):
                        while chunk := f.read(1 << 20):
                            copy.write(chunk)
                    how = "COPY FROM STDIN"
                copy_times.append(time.perf_counter() - t0)
                cursor.execute("SELECT count(*) FROM bench_copy")
                assert cursor.fetchone()[0] == args.rows
                cursor.execute("DROP TABLE bench_copy")
            print(f"  round {round_number + 1}: import {import_times[-1]:.1f} s, {how} {copy_times[-1]:.1f} s")
        import_s = statistics.median(import_times)
        copy_s = statistics.median(copy_times)

        # -- 3. lookups --------------------------------------------------------------------------
        numbers = list(CorporateRecord.objects.order_by("?").values_list("pk", flat=True)[: args.lookups])
        pk_times, service_times = [], []
        for number in numbers:
            t0 = time.perf_counter()
            CorporateRecord.objects.filter(pk=number).first()
            pk_times.append((time.perf_counter() - t0) * 1000)
        for number in numbers:
            t0 = time.perf_counter()
            services.lookup_corporate_number(number)
            service_times.append((time.perf_counter() - t0) * 1000)

    def pct(values: list[float], q: float) -> float:
        return sorted(values)[min(len(values) - 1, int(len(values) * q))]

    rounds = f"median of {args.repeat} alternating rounds" if args.repeat > 1 else "one round"
    print(
        f"\n{args.rows:,} NTA rows, batch {args.batch_size:,}, {rounds}, PostgreSQL {getattr(connection, 'pg_version', '?')}"
    )
    print(f"  import_corporate_numbers : {import_s:8.1f} s  {args.rows / import_s:>10,.0f} rows/s")
    print(f"  PostgreSQL {how:<15}: {copy_s:8.1f} s  {args.rows / copy_s:>10,.0f} rows/s")
    print(f"  import speed / COPY speed: {copy_s / import_s:8.0%}  (target ≥ 50%)")
    print(f"  memory: {start_rss:.0f} MB before, {peak[0]:.0f} MB peak during the import")
    print(
        f"  lookup by number ({len(numbers):,}): SELECT median {statistics.median(pk_times):.3f} ms, "
        f"p99 {pct(pk_times, 0.99):.3f} ms; lookup_corporate_number median "
        f"{statistics.median(service_times):.3f} ms, p99 {pct(service_times, 0.99):.3f} ms  (target ≤ 2 ms)"
    )


if __name__ == "__main__":
    main()
