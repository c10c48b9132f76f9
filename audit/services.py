"""What auditors do with the log: verify, export, archive (and prune what was archived). Each act is
itself an audit event."""

from __future__ import annotations

import contextlib
import getpass
import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max, Min
from django.utils import timezone
from django.utils.translation import gettext

import audit
from audit import chain, export, keys, signing
from audit.guard import prune_segment
from audit.models import AuditCheckpoint, AuditCosignature, AuditEvent, AuditSeal, AuditSegment
from audit.sealing import (
    CheckpointRefused,
    checkpoint_at,
    checkpoint_now,
    entry_of,
    event_columns,
    latest_checkpoint,
    seal_pending,
)
from audit.verify import Report, verify_chain
from kernel import Actor, ServiceError


class AuditError(ServiceError):
    """A refused or failed audit-log operation; ``message`` is translated and safe to show."""


def command_actor(command: str) -> audit.ActorRecord:
    """Who runs a management command: the operating-system account on the server."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "?"
    return audit.ActorRecord("system", f"cli:{user}"[:64], f"manage.py {command} ({user})")


def verify_log(
    *, actor: Actor | None, from_seq: int | None = None, to_seq: int | None = None, workers: int = 1
) -> Report:
    """Seal what is pending, verify the chain (or a range), record ``audit.verified`` with the result.
    Nothing is signed before the chain verified."""
    seal_pending(sign=False)
    report = verify_chain(from_seq, to_seq, workers=workers)
    audit.record("audit.verified", actor=actor, **report.summary())
    return report


def start_export(
    filters: export.Filters, fmt: str, *, actor: Actor | None, evidence: bool = False
) -> export.ExportPlan:
    """Verify, then fix what an export covers (up to a fresh signed checkpoint) and record
    ``audit.exported``; then stream it with ``export.stream(plan)``. A chain that fails verification
    is not signed and not exported, unless ``evidence``: then it is exported up to the last valid
    checkpoint, marked in the manifest as failed, with the problems found."""
    seal_pending(sign=False)
    report = verify_chain(export.first_position(filters))
    if report.chain_ok:
        checkpoint = checkpoint_now()
    else:
        problem = str(next(p for p in report.problems if not p.foreign))
        if not evidence:
            audit.record_refused("audit.export_refused", actor=actor, filters=filters.describe(), problem=problem)
            raise AuditError(
                gettext(
                    "監査ログの検証に失敗したため、エクスポートしませんでした：%(problem)s"
                    "（証拠として出力するには「検証に失敗したログも出力する」を選んでください）"
                )
                % {"problem": problem}
            )
        checkpoint = latest_checkpoint(report.to_seq)
    if checkpoint is None:
        raise AuditError(gettext("監査ログにまだ封印済みの記録がありません。"))
    plan = export.plan(filters, fmt, checkpoint)
    plan.problems = [str(p) for p in report.problems if not p.foreign]
    plan.notes = [str(p) for p in report.problems if p.foreign]
    audit.record("audit.exported", actor=actor, **plan.summary(), verified=report.chain_ok)
    return plan


def stream_export(
    filters: export.Filters, fmt: str, *, actor: Actor | None, evidence: bool = False
) -> tuple[export.ExportPlan, Iterator[bytes]]:
    plan = start_export(filters, fmt, actor=actor, evidence=evidence)
    return plan, export.stream(plan)


@dataclass
class ArchiveResult:
    segment: AuditSegment | None = None
    path: Path | None = None
    first_seq: int = 0
    last_seq: int = 0
    pruned_events: int = 0
    pruned_segments: list[str] = field(default_factory=list)


def _archive_range(before: datetime) -> tuple[int, int]:
    start = (AuditSegment.objects.aggregate(last=Max("last_seq"))["last"] or 0) + 1
    late = AuditSeal.objects.filter(seq__gte=start, event__created_at__gte=before).aggregate(first=Min("seq"))["first"]
    end = (late - 1) if late is not None else (AuditSeal.objects.aggregate(hi=Max("seq"))["hi"] or 0)
    return start, end


def archive_log(before: datetime, out_dir: Path, *, actor: Actor | None, dry_run: bool = False) -> ArchiveResult:
    """Write the not yet archived entries older than ``before`` to one verified segment file."""
    seal_pending(sign=False)
    start, end = _archive_range(before)
    result = ArchiveResult(first_seq=start, last_seq=end)
    if end < start or dry_run:
        return result
    checkpoint = _verified_checkpoint(start, end, actor=actor)
    prev = AuditSeal.objects.values_list("prev_hash", flat=True).get(seq=start)
    plan = export.ExportPlan(
        filters=export.Filters(),
        fmt="jsonl",
        checkpoint=checkpoint,
        from_seq=start,
        count=end - start + 1,
        first_prev_hash=prev,
    )
    path = out_dir / f"audit-segment-{start:012d}-{end:012d}.zip"
    partial = path.with_suffix(".partial")
    sha256 = _write_segment_file(plan, partial, actor=actor)
    key = keys.private_key()
    _check_written(partial, key)
    partial.rename(path)
    segment = AuditSegment(
        first_seq=start,
        last_seq=end,
        prev_hash=prev,
        last_hash=checkpoint.head_hash,
        file_name=path.name,
        sha256=sha256,
        created_at=timezone.now(),
        key_id=signing.key_id(key.public_key()),
        signature="",
    )
    segment.signature = signing.sign(key, segment.payload())
    _record_segment(segment, before, actor=actor)
    result.segment, result.path = segment, path
    return result


def _verified_checkpoint(start: int, end: int, *, actor: Actor | None) -> AuditCheckpoint:
    """A checkpoint at ``end`` once ``start``..``end`` verifies; refused (and recorded) otherwise."""
    report = verify_chain(start, end)
    if not report.chain_ok:
        audit.record(
            "audit.archive_failed", actor=actor, first_seq=start, last_seq=end, problem=str(report.first_problem)
        )
        raise AuditError(
            gettext("検証に失敗したため、アーカイブしませんでした：%(problem)s") % {"problem": report.first_problem}
        )
    try:
        return checkpoint_at(end)
    except CheckpointRefused as err:
        raise AuditError(gettext("チェックポイントの署名が拒否されたため、アーカイブしませんでした。")) from err


def _write_segment_file(plan: export.ExportPlan, partial: Path, *, actor: Actor | None) -> str:
    """Write the segment to ``partial`` and flush it to the medium; returns its SHA-256."""
    digest = hashlib.sha256()
    try:
        partial.parent.mkdir(parents=True, exist_ok=True)
        with partial.open("wb") as fh:
            for chunk in export.stream(plan):
                fh.write(chunk)
                digest.update(chunk)
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as err:
        # A full or read-only archive medium: no half-written file stays behind, no segment is
        # recorded (so nothing becomes prunable), and the operator is told what the system said.
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        problem = f"{err.strerror or err} ({partial.parent})"
        first, last = plan.from_seq, plan.from_seq + plan.count - 1
        audit.record("audit.archive_failed", actor=actor, first_seq=first, last_seq=last, problem=problem)
        raise AuditError(
            gettext("アーカイブファイルを書き出せませんでした：%(problem)s。何も記録・削除していません。")
            % {"problem": problem}
        ) from err
    return digest.hexdigest()


def _check_written(partial: Path, key: Any) -> None:
    """Read the written file back as an auditor would; remove it when it does not verify."""
    from audit.offline_verify import Invalid, verify_file

    try:
        verify_file(partial, key.public_key())
    except Invalid as err:
        partial.unlink()
        raise AuditError(
            gettext("書き出したアーカイブファイルの検証に失敗しました：%(problem)s") % {"problem": err}
        ) from err


def _record_segment(segment: AuditSegment, before: datetime, *, actor: Actor | None) -> None:
    with transaction.atomic():
        segment.save(force_insert=True)
        audit.record(
            "audit.archived",
            actor=actor,
            subject=segment,
            first_seq=segment.first_seq,
            last_seq=segment.last_seq,
            file=segment.file_name,
            sha256=segment.sha256,
            before=chain.format_time(before),
        )


def prune_archived(*, actor: Actor | None, dry_run: bool = False) -> ArchiveResult:
    """Delete from the online tables the rows of archived segments whose newest event is older than
    AUDIT_RETENTION_DAYS. The database triggers let these rows, and only these, go."""
    cutoff = timezone.now() - timedelta(days=settings.AUDIT_RETENTION_DAYS)
    result = ArchiveResult()
    for segment in AuditSegment.objects.order_by("first_seq"):
        online = AuditEvent.objects.filter(seal__seq__gte=segment.first_seq, seal__seq__lte=segment.last_seq)
        newest = online.aggregate(newest=Max("created_at"))["newest"]
        if newest is None or newest >= cutoff:
            continue
        count = online.count()
        result.pruned_events += count
        result.pruned_segments.append(str(segment))
        if dry_run:
            continue
        with transaction.atomic():
            prune_segment(segment.first_seq, segment.last_seq)
            audit.record(
                "audit.pruned",
                actor=actor,
                subject=segment,
                first_seq=segment.first_seq,
                last_seq=segment.last_seq,
                events=count,
                retention_days=settings.AUDIT_RETENTION_DAYS,
            )
    return result


LINKS_AT_MOST = 500_000  # one answer of the checkpoint endpoint; a witness far behind asks again


def checkpoint_document(since: int | None = None) -> dict[str, Any]:
    """The latest valid checkpoint, its public key, and the chain links after ``since`` up to it
    (what a witness needs to check that the new head extends the one it cosigned last)."""
    head = AuditSeal.objects.aggregate(hi=Max("seq"))["hi"] or 0
    checkpoint = latest_checkpoint(head)
    if checkpoint is None:
        raise AuditError(gettext("署名済みのチェックポイントがまだありません。"))
    document: dict[str, Any] = {
        "checkpoint": {**checkpoint.payload(), "signature": checkpoint.signature},
        "public_key": signing.public_pem(keys.private_key().public_key()),
    }
    if since is not None:
        upto = min(checkpoint.seq, since + LINKS_AT_MOST)
        if upto < checkpoint.seq:
            later = latest_checkpoint(upto)
            if later is not None and later.seq > since:
                checkpoint, upto = later, later.seq
                document["checkpoint"] = {**checkpoint.payload(), "signature": checkpoint.signature}
        links = AuditSeal.objects.filter(seq__gt=since, seq__lte=upto).order_by("seq")
        document["links"] = [
            {"seq": seq, "digest": digest, "hash": hash_}
            for seq, digest, hash_ in links.values_list("seq", "digest", "hash")
        ]
    return document


def sealed_entry(event_id: int) -> tuple[int, dict[str, Any]] | None:
    """The entry of event ``event_id`` as hashed into the chain, with its position; None when there
    is no such event or it is not sealed yet (what a witness checks against the chain links)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT s.seq, {event_columns(connection.vendor)} FROM audit_auditevent e "  # noqa: S608  (constants only)
            "JOIN audit_auditseal s ON s.event_id = e.id WHERE e.id = %s",
            [event_id],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    entry, _float_free = entry_of(row[1:])
    return int(row[0]), entry


def record_cosignature(cosignature: dict[str, Any], *, actor: Actor | None) -> AuditCosignature:
    """Store a witness's cosignature: a known witness key, a valid signature, over a checkpoint this
    service signed. A refusal is an audit event and changes nothing."""
    from audit.witness import verify_cosignature

    def refuse(reason: str) -> AuditError:
        audit.record_refused("audit.cosignature_refused", actor=actor, reason=reason, seq=cosignature.get("seq"))
        return AuditError(reason)

    key = keys.witness_public_keys().get(str(cosignature.get("witness_key_id", "")))
    if key is None:
        raise refuse(gettext("この立会人の鍵は登録されていません。"))
    try:
        valid = verify_cosignature(key, cosignature)
    except (KeyError, TypeError, ValueError):
        valid = False
    if not valid:
        raise refuse(gettext("連署の署名が正しくありません。"))
    checkpoint = AuditCheckpoint.objects.filter(seq=cosignature["seq"], head_hash=cosignature["head"]).first()
    if checkpoint is None or latest_checkpoint(checkpoint.seq) != checkpoint:
        raise refuse(gettext("連署されたチェックポイントはこのサービスが署名したものではありません。"))
    stored, _created = AuditCosignature.objects.get_or_create(
        seq=checkpoint.seq,
        witness_key_id=cosignature["witness_key_id"],
        defaults={
            "head_hash": checkpoint.head_hash,
            "checkpoint_key_id": cosignature["checkpoint_key_id"],
            "signed_at": cosignature["time"],
            "signature": cosignature["signature"],
            "received_at": timezone.now(),
        },
    )
    audit.record("audit.cosigned", actor=actor, seq=checkpoint.seq, witness_key_id=stored.witness_key_id)
    return stored
