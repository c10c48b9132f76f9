from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

import audit
from registry.importer import Importer, Summary
from registry.nta import FileFormatError


class Command(BaseCommand):
    help = (
        "Import the National Tax Agency's corporate-number data (法人番号公表サイトの全件データ・差分データ: "
        "ZIP or CSV, UTF-8 or Shift_JIS, 30 columns, no header) into the local table. Idempotent and "
        "resumable: a file already imported is skipped (--force reads it again), an interrupted one "
        "continues after its last committed batch. Bad rows are reported with their line number and skipped."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", type=Path, help="ZIP or CSV files, in publication order")
        parser.add_argument("--dry-run", action="store_true", help="validate only; write nothing")
        parser.add_argument("--force", action="store_true", help="import files already imported again")
        parser.add_argument("--batch-size", type=int, default=20_000)
        parser.add_argument("--quiet-bad-rows", action="store_true", help="count bad rows without listing them")

    def handle(self, *args: Any, **options: Any) -> None:
        show_bad = not options["quiet_bad_rows"]
        interactive = sys.stderr.isatty()

        def bad(name: str, line: int, reason: str) -> None:
            if show_bad:
                self.stderr.write(f"{name}:{line}: {reason}")

        def progress(summary: Summary, rate: float) -> None:
            text = f"  {summary.file_name}: {summary.lines:,} lines, {summary.written:,} rows ({rate:,.0f} lines/s)"
            if interactive:
                self.stderr.write(text, ending="\r")
            elif summary.lines % 1_000_000 < options["batch_size"]:
                self.stderr.write(text)

        importer = Importer(
            batch_size=options["batch_size"],
            dry_run=options["dry_run"],
            force=options["force"],
            report_bad=bad,
            progress=progress,
        )
        totals = Summary("total")
        for path in options["files"]:
            if not path.is_file():
                raise CommandError(f"{path}: ファイルがありません。")
            try:
                summary = importer.import_file(path)
            except FileFormatError as exc:
                raise CommandError(f"{path}: {exc}") from None
            if interactive:
                self.stderr.write("")
            if summary.already_done:
                self.stdout.write(
                    f"{path.name}: already imported ({summary.written:,} rows); use --force to read it again"
                )
                continue
            resumed = f", resumed after line {summary.resumed_from:,}" if summary.resumed_from else ""
            self.stdout.write(
                f"{path.name}: {summary.lines:,} lines, {summary.written:,} rows written, "
                f"{summary.history_skipped:,} history rows skipped, {summary.bad:,} bad rows{resumed}"
            )
            totals.written += summary.written
            totals.bad += summary.bad
            if not options["dry_run"]:
                audit.record(
                    "registry.corporate_numbers.imported",
                    actor=audit.SYSTEM,
                    file=path.name,
                    lines=summary.lines,
                    rows=summary.written,
                    bad_rows=summary.bad,
                )
        style = self.style.WARNING if totals.bad else self.style.SUCCESS
        prefix = "Dry run: " if options["dry_run"] else ""
        self.stdout.write(style(f"{prefix}{totals.written:,} rows imported, {totals.bad:,} bad rows skipped."))
