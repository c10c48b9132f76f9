"""Loading the NTA's corporate-number files into CorporateRecord.

Streaming in batches with flat memory: each batch is validated in Python, then (PostgreSQL) copied
into a temporary table with COPY and merged with one INSERT … ON CONFLICT; the batch and the file's
progress commit together, so an interrupted import resumes after its last batch. Merging keeps the
newest row per number (by update date, then position in the file), so re-importing a file, or
importing files twice or out of order, leaves the same table. Bad rows are reported with their line
number and skipped."""

from __future__ import annotations

import csv
import hashlib
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from registry.models import CorporateRecord, ImportRun
from registry.nta import FIELDS, FileFormatError, RowError, detect_encoding, open_source, parse_row

TABLE = CorporateRecord._meta.db_table
STAGE = "registry_corporate_import_stage"
LATEST_INDEX = FIELDS.index("latest")
UPDATE_DATE_INDEX = FIELDS.index("update_date")


@dataclass
class Summary:
    file_name: str
    lines: int = 0
    written: int = 0
    history_skipped: int = 0
    bad: int = 0
    resumed_from: int = 0
    already_done: bool = False
    bad_examples: list[tuple[int, str]] = field(default_factory=list)


def file_key(path: Path) -> str:
    """Identifies a file without reading all of it: name, size and the digest of its head and tail."""
    size = path.stat().st_size
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        digest.update(f.read(1 << 20))
        if size > 2 << 20:
            f.seek(-(1 << 20), os.SEEK_END)
            digest.update(f.read())
    return f"{path.name}:{size}:{digest.hexdigest()}"[:200]


def _batches(lines: Iterator[bytes], size: int, start: int) -> Iterator[tuple[int, list[bytes]]]:
    """(number of the first line, lines) in groups of ``size``, after skipping ``start`` lines."""
    number = 0
    batch: list[bytes] = []
    first = start + 1
    for raw in lines:
        number += 1
        if number <= start:
            continue
        batch.append(raw)
        if len(batch) >= size:
            yield first, batch
            first, batch = number + 1, []
    if batch:
        yield first, batch


class Importer:
    def __init__(
        self,
        *,
        batch_size: int = 20_000,
        dry_run: bool = False,
        force: bool = False,
        report_bad: Callable[[str, int, str], None] | None = None,
        progress: Callable[[Summary, float], None] | None = None,
    ) -> None:
        self.batch_size = batch_size
        self.dry_run = dry_run
        self.force = force
        self.report_bad = report_bad or (lambda name, line, reason: None)
        self.progress = progress or (lambda summary, rate: None)
        self.postgres = connection.vendor == "postgresql"

    def import_file(self, path: Path) -> Summary:
        summary = Summary(path.name)
        with open_source(path) as head_stream:
            encoding = detect_encoding(head_stream.read(1 << 20))
        key = file_key(path)
        run = None
        if not self.dry_run:
            run, _created = ImportRun.objects.get_or_create(file_key=key, defaults={"file_name": path.name})
            if run.finished_at is not None and not self.force:
                summary.already_done = True
                summary.lines, summary.written, summary.bad = run.lines_done, run.rows_written, run.bad_rows
                return summary
            if run.finished_at is not None:  # --force: read it all again
                run.lines_done = run.rows_written = run.bad_rows = 0
                run.finished_at = None
            summary.resumed_from = run.lines_done
            summary.written, summary.bad = run.rows_written, run.bad_rows
        started = time.monotonic()
        with open_source(path) as stream:
            for first, raw_lines in _batches(iter(stream), self.batch_size, summary.resumed_from):
                rows = self._parse(raw_lines, first, encoding, summary)
                last = first + len(raw_lines) - 1
                if self.dry_run:
                    summary.written += len(rows)
                elif run is not None:
                    with transaction.atomic():
                        written = self._write(rows)
                        summary.written += written
                        run.lines_done = last
                        run.rows_written = summary.written
                        run.bad_rows = summary.bad
                        run.save(update_fields=["lines_done", "rows_written", "bad_rows"])
                summary.lines = last
                elapsed = time.monotonic() - started
                self.progress(summary, (last - summary.resumed_from) / elapsed if elapsed else 0.0)
        if run is not None:
            run.finished_at = timezone.now()
            run.lines_done = summary.lines
            run.save(update_fields=["finished_at", "lines_done"])
        return summary

    def _parse(self, raw_lines: list[bytes], first: int, encoding: str, summary: Summary) -> list[list[Any]]:
        texts: list[str] = []
        numbers: list[int] = []
        for offset, raw in enumerate(raw_lines):
            number = first + offset
            try:
                text = raw.decode(encoding)
            except UnicodeDecodeError:
                self._bad(summary, number, f"文字コード（{encoding}）として読めない文字があります")
                continue
            if number == 1 and text.startswith("\ufeff"):
                text = text[1:]
            if text.strip():
                texts.append(text)
                numbers.append(number)
        rows: list[list[Any]] = []
        try:
            parsed = list(csv.reader(texts, strict=True))
        except csv.Error:
            parsed = []
            for number, text in zip(numbers, texts, strict=True):
                try:
                    parsed.extend(csv.reader([text], strict=True))
                except csv.Error as exc:
                    parsed.append([])
                    self._bad(summary, number, f"CSVとして読めません（{exc}）")
        for number, fields in zip(numbers, parsed, strict=True):
            if not fields:
                continue
            try:
                values = parse_row(fields)
            except RowError as exc:
                self._bad(summary, number, str(exc))
                continue
            if values[LATEST_INDEX] != "1":  # a past state of the corporation, not its latest
                summary.history_skipped += 1
                continue
            values.append(number)
            rows.append(values)
        return rows

    def _bad(self, summary: Summary, number: int, reason: str) -> None:
        summary.bad += 1
        if len(summary.bad_examples) < 100:
            summary.bad_examples.append((number, reason))
        self.report_bad(summary.file_name, number, reason)

    # -- writing -------------------------------------------------------------------------------
    def _write(self, rows: list[list[Any]]) -> int:
        if not rows:
            return 0
        return self._write_postgres(rows) if self.postgres else self._write_other(rows)

    def _write_postgres(self, rows: list[list[Any]]) -> int:
        columns = ", ".join(FIELDS)
        updates = ", ".join(f"{name} = EXCLUDED.{name}" for name in FIELDS if name != "corporate_number")
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {STAGE} (LIKE {TABLE}, line bigint) ON COMMIT DELETE ROWS")
            with cursor.cursor.copy(f"COPY {STAGE} ({columns}, line) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            cursor.execute(
                f"INSERT INTO {TABLE} ({columns}) "  # noqa: S608 (names from the model, not input)
                f"SELECT DISTINCT ON (corporate_number) {columns} FROM {STAGE} "
                f"ORDER BY corporate_number, update_date DESC NULLS LAST, line DESC "
                f"ON CONFLICT (corporate_number) DO UPDATE SET {updates} "
                f"WHERE {TABLE}.update_date IS NULL OR EXCLUDED.update_date >= {TABLE}.update_date"
            )
            return len(rows)

    def _write_other(self, rows: list[list[Any]]) -> int:
        # The same rule as on PostgreSQL: the newest update date wins, then the later line.
        newest: dict[str, tuple[tuple[date, int], list[Any]]] = {}
        for row in rows:
            rank = (row[UPDATE_DATE_INDEX] or date.min, row[-1])
            seen = newest.get(row[1])
            if seen is None or rank >= seen[0]:
                newest[row[1]] = (rank, row)
        stored = dict(
            CorporateRecord.objects.filter(pk__in=list(newest)).values_list("corporate_number", "update_date")
        )
        records = [
            CorporateRecord(**dict(zip(FIELDS, row[:-1], strict=True)))
            for number, (rank, row) in newest.items()
            if (stored_date := stored.get(number)) is None or rank[0] >= stored_date
        ]
        CorporateRecord.objects.bulk_create(
            records,
            batch_size=500,
            update_conflicts=True,
            unique_fields=["corporate_number"],
            update_fields=[f for f in FIELDS if f != "corporate_number"],
        )
        return len(rows)


__all__ = ["FileFormatError", "Importer", "Summary", "file_key"]
