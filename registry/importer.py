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
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from django.db import DataError, IntegrityError, connection, transaction
from django.utils import timezone

from registry.models import CorporateRecord, ImportRun
from registry.nta import (
    DATE_FIELDS,
    FIELDS,
    FileFormatError,
    RowError,
    check_row,
    detect_encoding,
    open_source,
    parse_row,
)

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


def split_line(text: str, columns: int) -> list[str]:
    """The fields of one CSV line. The published files quote every field and never quote inside one:
    those lines are split directly; anything else goes through the csv module (csv.Error)."""
    quotes = text.count('"')
    if quotes == 2 * columns and text[0] == '"' and text[-1] == '"':
        return text[1:-1].split('","')
    if quotes == 0:
        return text.split(",")
    return next(csv.reader([text], strict=True))


@dataclass
class Batch:
    first: int  # number of its first line
    last: int
    rows: list[tuple[int, str]]  # (line number, the CSV text of the line)
    raw: bytes | None = None  # the batch's bytes as read, when every line of it is to be written


class Importer:
    """``pipeline``: parse the next batch in this thread while a second thread (own connection)
    writes the previous one, so Python and PostgreSQL work on the two cores at once. Used only on
    PostgreSQL outside any transaction (never inside a test's wrapping transaction)."""

    def __init__(
        self,
        *,
        batch_size: int = 20_000,
        dry_run: bool = False,
        force: bool = False,
        pipeline: bool | None = None,
        report_bad: Callable[[str, int, str], None] | None = None,
        progress: Callable[[Summary, float], None] | None = None,
    ) -> None:
        self.batch_size = batch_size
        self.dry_run = dry_run
        self.force = force
        self.report_bad = report_bad or (lambda name, line, reason: None)
        self.progress = progress or (lambda summary, rate: None)
        self.postgres = connection.vendor == "postgresql"
        if pipeline is None:
            pipeline = self.postgres and not connection.in_atomic_block
        self.pipeline = pipeline and not dry_run
        self.direct = False
        self._lock = threading.Lock()

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
        # COPY straight into the table only when it holds none of this file's numbers: an empty table.
        self.direct = self.postgres and not CorporateRecord.objects.exists()
        started = time.monotonic()

        def batches() -> Iterator[Batch]:
            with open_source(path) as stream:
                for first, raw_lines in _batches(iter(stream), self.batch_size, summary.resumed_from):
                    rows = self._parse(raw_lines, first, encoding, summary)
                    clean = len(rows) == len(raw_lines) and encoding == "utf-8" and first > 1
                    yield Batch(first, first + len(raw_lines) - 1, rows, b"".join(raw_lines) if clean else None)

        def committed(batch: Batch, written: int) -> None:
            summary.written += written
            summary.lines = batch.last
            elapsed = time.monotonic() - started
            self.progress(summary, (batch.last - summary.resumed_from) / elapsed if elapsed else 0.0)

        if run is None:
            for batch in batches():
                committed(batch, len(batch.rows))
        elif self.pipeline:
            self._pipelined(batches(), run, summary, committed)
        else:
            for batch in batches():
                committed(batch, self._commit_batch(batch, run, summary))
        if run is not None:
            run.finished_at = timezone.now()
            run.lines_done = summary.lines
            run.save(update_fields=["finished_at", "lines_done"])
        return summary

    def _commit_batch(self, batch: Batch, run: ImportRun, summary: Summary) -> int:
        """Write one batch and the file's progress in one transaction."""
        with transaction.atomic():
            written = self._write(batch, summary)
            run.lines_done = batch.last
            run.rows_written = summary.written + written
            run.bad_rows = summary.bad
            run.save(update_fields=["lines_done", "rows_written", "bad_rows"])
        return written

    def _pipelined(
        self, batches: Iterator[Batch], run: ImportRun, summary: Summary, committed: Callable[[Batch, int], None]
    ) -> None:
        # At most one batch waits between the threads: memory stays flat whatever the file size.
        todo: queue.Queue[Batch | None] = queue.Queue(maxsize=1)
        failure: list[BaseException] = []

        def writer() -> None:
            try:
                while (batch := todo.get()) is not None:
                    if not failure:
                        committed(batch, self._commit_batch(batch, run, summary))
            except BaseException as exc:  # noqa: BLE001  (handed to the reading thread, re-raised there)
                failure.append(exc)
                while todo.get() is not None:  # let the reader finish putting
                    pass
            finally:
                connection.close()

        thread = threading.Thread(target=writer, name="nta-import-writer", daemon=True)
        thread.start()
        try:
            for batch in batches:
                if failure:
                    break
                todo.put(batch)
        finally:
            todo.put(None)
            thread.join()
        if failure:
            raise failure[0]
        run.refresh_from_db()

    def _parse(self, raw_lines: list[bytes], first: int, encoding: str, summary: Summary) -> list[tuple[int, str]]:
        rows: list[tuple[int, str]] = []
        full = not self.postgres
        columns = len(FIELDS)
        for number, text in self._decoded(raw_lines, first, encoding, summary):
            if number == 1 and text.startswith("\ufeff"):
                text = text[1:]
            if not text.strip():
                continue
            try:
                fields = split_line(text, columns)
            except csv.Error as exc:
                self._bad(summary, number, f"CSVとして読めません（{exc}）")
                continue
            if "\x00" in text:
                self._bad(summary, number, "NUL文字が含まれています")
                continue
            try:
                check_row(fields, full=full)
            except RowError as exc:
                self._bad(summary, number, str(exc))
                continue
            if fields[LATEST_INDEX] != "1":  # a past state of the corporation, not its latest
                summary.history_skipped += 1
                continue
            rows.append((number, text))
        return rows

    def _decoded(
        self, raw_lines: list[bytes], first: int, encoding: str, summary: Summary
    ) -> Iterator[tuple[int, str]]:
        """(line number, text without its line ending); one decode call for the whole batch unless a
        line does not decode, then line by line so that only that line is reported."""
        try:
            texts = b"".join(raw_lines).decode(encoding).split("\n")
        except UnicodeDecodeError:
            texts = []
        if texts and texts[-1] == "":
            texts.pop()
        if len(texts) == len(raw_lines):
            for number, text in enumerate(texts, start=first):
                yield number, text.rstrip("\r")
            return
        for number, raw in enumerate(raw_lines, start=first):
            try:
                yield number, raw.decode(encoding).rstrip("\r\n")
            except UnicodeDecodeError:
                self._bad(summary, number, f"文字コード（{encoding}）として読めない文字があります")

    def _bad(self, summary: Summary, number: int, reason: str) -> None:
        with self._lock:  # both threads of a pipelined import find bad rows
            summary.bad += 1
            if len(summary.bad_examples) < 100:
                summary.bad_examples.append((number, reason))
            self.report_bad(summary.file_name, number, reason)

    # -- writing -------------------------------------------------------------------------------
    def _write(self, batch: Batch, summary: Summary) -> int:
        rows = batch.rows
        if not rows:
            return 0
        if not self.postgres:
            return self._write_other(rows)
        try:
            with transaction.atomic():
                return self._write_postgres(rows, batch.raw)
        except DataError:
            # A date or a length PostgreSQL refused: check this batch in full, report, write the rest.
            good = []
            for number, text in rows:
                try:
                    check_row(split_line(text, len(FIELDS)))
                except RowError as exc:
                    self._bad(summary, number, str(exc))
                else:
                    good.append((number, text))
            return self._write_postgres(good, None) if good else 0

    def _write_postgres(self, rows: list[tuple[int, str]], raw: bytes | None) -> int:
        # Validated lines go to COPY as the CSV text they were: no per-value conversion in Python.
        if self.direct:
            # Fast path while no number of this file is in the table yet (a first full load): COPY
            # straight into it. The first conflict rolls the batch back and switches to merging.
            try:
                with transaction.atomic(), connection.cursor() as cursor:
                    payload = raw if raw is not None else "".join(f"{text}\n" for _n, text in rows)
                    self._copy(cursor, TABLE, payload, line=False)
                return len(rows)
            except IntegrityError:
                self.direct = False
        columns = ", ".join(FIELDS)
        updates = ", ".join(f"{name} = EXCLUDED.{name}" for name in FIELDS if name != "corporate_number")
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {STAGE} (LIKE {TABLE}, line bigint) ON COMMIT DELETE ROWS")
            cursor.execute(f"TRUNCATE {STAGE}")  # empty already unless called inside an outer transaction
            self._copy(cursor, STAGE, "".join(f"{text},{number}\n" for number, text in rows), line=True)
            cursor.execute(
                f"INSERT INTO {TABLE} ({columns}) "  # noqa: S608 (names from the model, not input)
                f"SELECT DISTINCT ON (corporate_number) {columns} FROM {STAGE} "
                f"ORDER BY corporate_number, update_date DESC NULLS LAST, line DESC "
                f"ON CONFLICT (corporate_number) DO UPDATE SET {updates} "
                f"WHERE {TABLE}.update_date IS NULL OR EXCLUDED.update_date >= {TABLE}.update_date"
            )
            return len(rows)

    @staticmethod
    def _copy(cursor: Any, table: str, payload: str | bytes, *, line: bool) -> None:
        columns = ", ".join(FIELDS) + (", line" if line else "")
        texts = ", ".join(f for f in FIELDS if f not in DATE_FIELDS and f != "sequence_number")
        dates = ", ".join(f for f in FIELDS if f in DATE_FIELDS)
        sql = f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv, FORCE_NULL ({dates}), FORCE_NOT_NULL ({texts}))"
        # The raw psycopg cursor: translate its errors to Django's (IntegrityError, DataError).
        with connection.wrap_database_errors, cursor.cursor.copy(sql) as copy:
            copy.write(payload)

    def _write_other(self, rows: list[tuple[int, str]]) -> int:
        # The same rule as on PostgreSQL: the newest update date wins, then the later line.
        newest: dict[str, tuple[tuple[date, int], list[Any]]] = {}
        for number, text in rows:
            values = parse_row(split_line(text, len(FIELDS)))
            rank = (values[UPDATE_DATE_INDEX] or date.min, number)
            seen = newest.get(values[1])
            if seen is None or rank >= seen[0]:
                newest[values[1]] = (rank, values)
        stored = dict(
            CorporateRecord.objects.filter(pk__in=list(newest)).values_list("corporate_number", "update_date")
        )
        records = [
            CorporateRecord(**dict(zip(FIELDS, values, strict=True)))
            for number, (rank, values) in newest.items()
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
