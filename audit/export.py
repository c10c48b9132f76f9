"""Auditor exports: a ZIP streamed with constant memory, holding

- ``events.csv`` (UTF-8 with BOM, Japanese headers, for Excel) or ``events.jsonl``: the selected entries;
- ``chain.jsonl``: one line per chain position from the first selected entry up to a signed
  checkpoint (seq, digest, hash), so the chain can be recomputed without the entries a filter left out;
- ``manifest.json``: range, count, hashes, the covering checkpoint with its signature, the public key,
  and the SHA-256 of the other two files.

``python -m audit.offline_verify FILE`` checks it without the database.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Min, QuerySet, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from audit import chain, keys, signing, spreadsheet
from audit.models import AuditCheckpoint, AuditCosignature, AuditEvent, AuditSeal
from audit.sealing import entry_of

FORMAT = "mynatrust-audit-export/1"
CSV_HEADER = [
    "連番",
    "イベントID",
    "日時(UTC)",
    "種別",
    "操作者種別",
    "操作者ID",
    "操作者",
    "対象種別",
    "対象ID",
    "内容(JSON)",
    "リクエストID",
    "IPアドレス",
    "ユーザーエージェント",
    "ダイジェスト",
    "日時(日本時間)",
]
CHUNK_ROWS = 2000
MISSING_LISTED = 1000  # positions without their event named in the manifest, at most


@dataclass
class Filters:
    since: datetime | None = None
    until: datetime | None = None
    event_type: str = ""
    actor: str = ""
    subject_type: str = ""
    subject_id: str = ""

    def apply(self, events: QuerySet[AuditEvent]) -> QuerySet[AuditEvent]:
        if self.since:
            events = events.filter(created_at__gte=self.since)
        if self.until:
            events = events.filter(created_at__lt=self.until)
        if self.event_type:
            # "auth." selects the namespace, "auth.login" one type.
            if self.event_type.endswith("."):
                events = events.filter(event_type__startswith=self.event_type)
            else:
                events = events.filter(event_type=self.event_type)
        if self.actor:
            events = events.filter(actor_id=self.actor) | events.filter(actor_label=self.actor)
        if self.subject_type:
            events = events.filter(subject_type=self.subject_type)
        if self.subject_id:
            events = events.filter(subject_id=self.subject_id)
        return events

    def describe(self) -> dict[str, str]:
        out = {k: v for k, v in vars(self).items() if v and not isinstance(v, datetime)}
        for name in ("since", "until"):
            value = getattr(self, name)
            if value:
                out[name] = chain.format_time(value)
        return out


@dataclass
class ExportPlan:
    filters: Filters
    fmt: str  # csv | jsonl
    checkpoint: AuditCheckpoint
    from_seq: int
    count: int
    first_prev_hash: str
    generated_at: datetime = field(default_factory=timezone.now)
    # Unfiltered exports: chain positions whose event is gone (an export of a broken log, as evidence).
    missing: list[int] = field(default_factory=list)
    # What verification found before the export (empty: the chain verified and was signed after).
    problems: list[str] = field(default_factory=list)
    # Found beside a sound chain (checkpoint rows the service did not sign): told, not failed.
    notes: list[str] = field(default_factory=list)

    @property
    def to_seq(self) -> int:
        return self.checkpoint.seq

    def file_name(self) -> str:
        # Named in the service's time zone (Japan), as the people who file it read dates.
        local = timezone.localtime(self.generated_at)
        return f"audit-{local:%Y%m%d-%H%M%S}-{self.from_seq}-{self.to_seq}-{self.fmt}.zip"

    def summary(self) -> dict[str, Any]:
        return {
            "format": self.fmt,
            "filters": self.filters.describe(),
            "from_seq": self.from_seq,
            "to_seq": self.to_seq,
            "count": self.count,
        }


def first_position(filters: Filters) -> int | None:
    """The first chain position an export with ``filters`` starts at (None: nothing online)."""
    if not filters.describe():
        return AuditSeal.objects.aggregate(first=Min("seq"))["first"]
    return filters.apply(AuditEvent.objects.filter(seal__isnull=False)).aggregate(first=Min("seal__seq"))["first"]


def plan(filters: Filters, fmt: str, checkpoint: AuditCheckpoint) -> ExportPlan:
    if fmt not in ("csv", "jsonl"):
        raise ValueError(fmt)
    selected = filters.apply(AuditEvent.objects.filter(seal__seq__lte=checkpoint.seq))
    unfiltered = not filters.describe()
    if unfiltered:  # every online position, with its event or without
        first = AuditSeal.objects.filter(seq__lte=checkpoint.seq).aggregate(first=Min("seq"))["first"] or checkpoint.seq
    else:
        first = selected.aggregate(first=Min("seal__seq"))["first"] or checkpoint.seq
    prev = AuditSeal.objects.filter(seq=first).values_list("prev_hash", flat=True).first() or chain.GENESIS
    count = selected.count()
    missing: list[int] = []
    if unfiltered and count != checkpoint.seq - first + 1:
        missing = list(
            AuditSeal.objects.filter(seq__gte=first, seq__lte=checkpoint.seq)
            .exclude(event_id__in=AuditEvent.objects.values("id"))
            .order_by("seq")
            .values_list("seq", flat=True)[:MISSING_LISTED]
        )
    return ExportPlan(
        filters=filters,
        fmt=fmt,
        checkpoint=checkpoint,
        from_seq=first,
        count=count,
        first_prev_hash=prev,
        missing=missing,
    )


class _Sink(io.RawIOBase):
    """Write-only, unseekable: zipfile then streams members with data descriptors."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.position = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self.chunks.append(chunk)
        self.position += len(chunk)
        return len(chunk)

    def tell(self) -> int:
        return self.position

    def take(self) -> bytes:
        out = b"".join(self.chunks)
        self.chunks.clear()
        return out


def _selected_rows(export: ExportPlan) -> Iterator[tuple[int, dict[str, Any], str, bool]]:
    events = export.filters.apply(
        AuditEvent.objects.filter(seal__seq__gte=export.from_seq, seal__seq__lte=export.to_seq)
    )
    # The data as stored text, parsed here, so float-free entries take the fast canonical path.
    events = events.annotate(data_text=Cast("data", TextField()))
    fields = ["seal__seq", "seal__digest", "txid", *chain.ENTRY_FIELDS]
    fields[fields.index("data")] = "data_text"
    for row in events.order_by("seal__seq").values_list(*fields).iterator(chunk_size=CHUNK_ROWS):
        entry, float_free = entry_of(row[2:])
        yield row[0], entry, row[1], float_free


def _event_lines(export: ExportPlan) -> Iterator[bytes]:
    tokyo = ZoneInfo(settings.TIME_ZONE)
    if export.fmt == "csv":
        buffer = io.StringIO()
        # Cells Excel would read as a formula get a leading apostrophe (audit.spreadsheet); the
        # offline verifier removes it again, so the entry is exact.
        writer = spreadsheet.Writer(buffer)
        writer.writerow(CSV_HEADER)
        yield "\ufeff".encode() + buffer.getvalue().encode("utf-8")
        for seq, entry, digest, float_free in _selected_rows(export):
            buffer.seek(0)
            buffer.truncate()
            local = datetime.fromisoformat(entry["created_at"]).astimezone(tokyo)
            writer.writerow(
                [
                    seq,
                    entry["id"],
                    entry["created_at"],
                    *(str(entry[name]) for name in ("event_type", "actor_kind", "actor_id", "actor_label")),
                    *(str(entry[name]) for name in ("subject_type", "subject_id")),
                    chain.canonical_text(entry["data"], float_free=float_free),
                    *(str(entry[name]) for name in ("request_id", "ip", "user_agent")),
                    digest,
                    local.strftime("%Y-%m-%d %H:%M:%S"),
                ]
            )
            yield buffer.getvalue().encode("utf-8")
    else:
        for seq, entry, digest, float_free in _selected_rows(export):
            line = chain.canonical_text({"seq": seq, "digest": digest, "entry": entry}, float_free=float_free)
            yield line.encode("utf-8") + b"\n"


def _chain_lines(export: ExportPlan, state: dict[str, str]) -> Iterator[bytes]:
    seals = AuditSeal.objects.filter(seq__gte=export.from_seq, seq__lte=export.to_seq).order_by("seq")
    for seq, digest, hash_ in seals.values_list("seq", "digest", "hash").iterator(chunk_size=CHUNK_ROWS * 5):
        state["last_hash"] = hash_
        yield f'{{"digest":"{digest}","hash":"{hash_}","seq":{seq}}}\n'.encode()


def manifest(export: ExportPlan, files: dict[str, dict[str, Any]], last_hash: str) -> dict[str, Any]:
    cp = export.checkpoint
    public = keys.public_keys().get(cp.key_id)
    return {
        "format": FORMAT,
        "service": settings.SERVICE_NAME,
        "generated_at": chain.format_time(export.generated_at),
        "filters": export.filters.describe(),
        "events_format": export.fmt,
        "from_seq": export.from_seq,
        "to_seq": export.to_seq,
        "count": export.count,
        "first_prev_hash": export.first_prev_hash,
        "last_hash": last_hash,
        "checkpoint": {**cp.payload(), "signature": cp.signature},
        # Every checkpoint this service signed and every witness cosignature in the range: a kept
        # export is then a head the next one must extend (offline_verify --since).
        "checkpoints": _checkpoints_in(export),
        "cosignatures": [
            c.document()
            for c in AuditCosignature.objects.filter(seq__gte=export.from_seq, seq__lte=export.to_seq).order_by("seq")
        ],
        "public_key": signing.public_pem(public) if public is not None else "",
        "files": files,
        # A log that failed verification can still be exported as evidence, marked so here; the
        # offline verifier then fails and names what was found.
        "verified": not (export.problems or export.missing),
        "problems": export.problems[:20],
        "missing_entries": export.missing,
        "notes": export.notes[:20],
    }


def _checkpoints_in(export: ExportPlan) -> list[dict[str, Any]]:
    public = keys.public_keys()
    found = []
    for cp in AuditCheckpoint.objects.filter(seq__gte=export.from_seq, seq__lte=export.to_seq).order_by("seq"):
        key = public.get(cp.key_id)
        if key is not None and signing.verify(key, cp.payload(), cp.signature):  # not rows someone else wrote
            found.append({**cp.payload(), "signature": cp.signature})
    return found


def stream(export: ExportPlan) -> Iterator[bytes]:
    """The ZIP, chunk by chunk."""
    sink = _Sink()
    files: dict[str, dict[str, Any]] = {}
    state = {"last_hash": ""}
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for name, lines in (
            (f"events.{export.fmt}", _event_lines(export)),
            ("chain.jsonl", _chain_lines(export, state)),
        ):
            digest = hashlib.sha256()
            size = 0
            with archive.open(name, "w", force_zip64=True) as member:
                for index, line in enumerate(lines):
                    member.write(line)
                    digest.update(line)
                    size += len(line)
                    if index % CHUNK_ROWS == 0:
                        yield sink.take()
            files[name] = {"sha256": digest.hexdigest(), "bytes": size}
            yield sink.take()
        archive.writestr(
            "manifest.json", json.dumps(manifest(export, files, state["last_hash"]), ensure_ascii=False, indent=2)
        )
    yield sink.take()
