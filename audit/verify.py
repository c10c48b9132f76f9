"""Verification of the chain stored in the database: every hash recomputed, sequence continuity,
every checkpoint's signature and agreement with the chain, archived segments at the start."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connection, connections, transaction
from django.db.models import Max, Min
from django.utils import timezone
from django.utils.translation import gettext

from audit import chain, guard, keys, signing
from audit import heads as heads_file
from audit.losses import acknowledged_losses
from audit.models import AuditCheckpoint, AuditEvent, AuditSeal, AuditSegment
from audit.sealing import entry_of, event_columns


def _joined_sql(vendor: str) -> str:
    return (
        f"SELECT s.seq, s.digest, s.prev_hash, s.hash, {event_columns(vendor)} "  # noqa: S608  (constants only)
        "FROM audit_auditseal s JOIN audit_auditevent e ON e.id = s.event_id "
        "WHERE s.seq >= %s AND s.seq <= %s ORDER BY s.seq"
    )


FETCH = 10_000
PARALLEL_MIN = 100_000  # below this, forking costs more than it saves


@dataclass
class Problem:
    seq: int | None
    message: str
    # A checkpoint row the service did not sign (written by someone else): reported, but the chain
    # itself may still be sound (exports go on, noting it).
    foreign: bool = False

    def __str__(self) -> str:
        return f"#{self.seq}: {self.message}" if self.seq is not None else self.message


@dataclass
class Report:
    from_seq: int = 0
    to_seq: int = 0
    entries: int = 0
    checkpoints: int = 0
    head_hash: str = ""
    problems: list[Problem] = field(default_factory=list)
    # Positions lost in a restore older than the signed head, acknowledged (audit.restores): not a
    # failure, but reported by every verification, for good.
    losses: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def chain_ok(self) -> bool:
        """The chain verified; only rows the service did not sign were found beside it."""
        return all(p.foreign for p in self.problems)

    @property
    def first_problem(self) -> Problem | None:
        return self.problems[0] if self.problems else None

    def summary(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "from_seq": self.from_seq,
            "to_seq": self.to_seq,
            "entries": self.entries,
            "checkpoints": self.checkpoints,
            "head_hash": self.head_hash,
            "problems": [str(p) for p in self.problems[:20]],
            "losses": self.losses,
        }


def _anchor(first: int, report: Report, public: dict[str, Any]) -> str | None:
    """The hash the entry before ``first`` must have: genesis, the stored seal, or a signed segment."""
    if first == 1:
        return chain.GENESIS
    before = AuditSeal.objects.filter(seq=first - 1).values_list("hash", flat=True).first()
    if before is not None:
        return before
    segment = AuditSegment.objects.filter(last_seq=first - 1).first()
    if segment is None:
        report.problems.append(
            Problem(
                first - 1, gettext("この連番の封印がなく、アーカイブ区間にも含まれていません（削除された可能性）。")
            )
        )
        return None
    if not _signed(segment.key_id, segment.payload(), segment.signature, public):
        report.problems.append(
            Problem(first - 1, gettext("アーカイブ区間 %(range)s の署名が正しくありません。") % {"range": segment})
        )
        return None
    return segment.last_hash


def _signed(kid: str, payload: dict[str, Any], signature: str, public: dict[str, Any]) -> bool:
    key = public.get(kid)
    return key is not None and signing.verify(key, payload, signature)


def verify_chain(
    from_seq: int | None = None, to_seq: int | None = None, *, workers: int = 1, against_signed_head: bool = True
) -> Report:
    """Verify the stored chain. ``workers`` > 1 splits a long range over forked processes (PostgreSQL,
    outside a transaction; for the command line, not for web workers). ``against_signed_head=False``
    leaves out the head file outside the database (to judge a restore older than it, audit.restores)."""
    report = Report()
    report.losses = _acknowledged_losses()
    public = keys.public_keys()
    for name in guard.missing_triggers():
        report.problems.append(Problem(None, gettext("追記専用トリガー %(name)s がありません。") % {"name": name}))
    bounds = AuditSeal.objects.aggregate(lo=Min("seq"), hi=Max("seq"))
    lo, hi = bounds["lo"] or 0, bounds["hi"] or 0
    first = max(from_seq or lo, lo, 1)
    last = min(to_seq or hi, hi)
    report.from_seq, report.to_seq = first, last
    checkpoints = {cp.seq: cp for cp in AuditCheckpoint.objects.all()}
    signed = _signed_head(report) if against_signed_head else None
    if to_seq is None:
        _check_unsealed(report)
    if hi == 0:
        if checkpoints:
            report.problems.append(
                Problem(None, gettext("封印が一件もないのにチェックポイントがあります（全件削除の可能性）。"))
            )
        _check_checkpoints(checkpoints, {}, 0, 0, report, public)
        _check_signed_head(signed, {}, 0, 0, 0, report)
        return report
    prev = _anchor(first, report, public) if first <= last else None
    ranges = _split(first, last, workers if connection.vendor == "postgresql" and not connection.in_atomic_block else 1)
    cps = set(checkpoints) | ({signed.seq} if signed else set())
    if len(ranges) > 1:
        connections.close_all()  # the forked workers open their own
        with multiprocessing.get_context("fork").Pool(len(ranges)) as pool:
            parts = pool.starmap(
                _verify_range, [(lo_, hi_, prev if n == 0 else None, cps) for n, (lo_, hi_) in enumerate(ranges)]
            )
    else:
        parts = [_verify_range(first, last, prev, cps)] if first <= last else []
    heads, checked_to = _join(parts, prev, first, report)
    checked = last if not report.problems else checked_to
    _check_checkpoints(checkpoints, heads, first, checked, report, public, hi=hi)
    _check_signed_head(signed, heads, first, checked, hi, report)
    return report


def _join(parts: list[_Range], prev: str | None, first: int, report: Report) -> tuple[dict[int, str], int]:
    """Join the verified ranges in order, each to the hash the one before ended on (``prev``: the
    hash before ``first``); sets the report's entries and head. Returns the hashes at the positions
    asked for and the last position checked."""
    heads: dict[int, str] = {}
    checked_to = first - 1
    for part in parts:
        if part.first_prev is not None and prev is not None and part.first_prev != prev:
            report.problems.append(
                Problem(
                    part.first, str(gettext("直前のハッシュが前の項目のハッシュと一致しません（削除・入替・挿入）。"))
                )
            )
            break
        report.entries += part.entries
        heads.update(part.heads)
        checked_to = part.first + part.entries - 1
        prev = part.last_hash
        if part.problem is not None:
            report.problems.append(part.problem)
            break
    report.head_hash = prev or ""
    return heads, checked_to


def _acknowledged_losses() -> list[str]:
    return [
        gettext(
            "#%(first)s–#%(last)s: 署名済みの記録が古いバックアップからの復元で失われました"
            "（%(at)s に確認、イベント %(event)s）。"
        )
        % {
            "first": loss["lost_from"],
            "last": loss["lost_to"],
            "at": timezone.localtime(loss["at"]).strftime("%Y-%m-%d %H:%M"),
            "event": loss["event_id"],
        }
        for loss in acknowledged_losses()
    ]


def _check_unsealed(report: Report) -> None:
    """Events left unsealed past the bound: the sequencer is down, or no longer sees them (after a
    restore onto another server its transaction IDs started below the old horizon)."""
    bound = timezone.now() - timedelta(seconds=settings.AUDIT_UNSEALED_MAX_SECONDS)
    stale = AuditEvent.objects.unsealed().filter(created_at__lt=bound)
    first = stale.order_by("id").values_list("id", "created_at").first()
    if first is not None:
        message = gettext(
            "イベント %(id)s などが %(minutes)s 分以上封印されていません（順序署名の停止または見落とし）。"
        ) % {
            "id": first[0],
            "minutes": settings.AUDIT_UNSEALED_MAX_SECONDS // 60,
        }
        report.problems.append(Problem(None, message))


def _signed_head(report: Report) -> heads_file.Head | None:
    """The last head the sequencer signed, from its file outside the database."""
    path = keys.head_path()
    if path is None:
        return None
    try:
        return heads_file.read(path)
    except heads_file.Unreadable as err:
        report.problems.append(
            Problem(None, gettext("署名済みの先頭を保存したファイルを読めません：%(error)s") % {"error": err})
        )
        return None


def _check_signed_head(
    signed: heads_file.Head | None, heads: dict[int, str], first: int, last_ok: int, hi: int, report: Report
) -> None:
    """The chain must run through the last head the sequencer signed: whoever holds only the
    database can delete or rewrite checkpoints, not this file."""
    if signed is None or signed.seq == 0:
        return
    if signed.seq > hi:
        message = gettext(
            "データベースの外に保存された署名済みの先頭は #%(seq)s ですが、ログは %(hi)s で終わっています（末尾の削除または全件削除）。"
        ) % {"seq": signed.seq, "hi": hi}
        report.problems.append(Problem(signed.seq, message))
    elif first <= signed.seq <= last_ok and heads.get(signed.seq) != signed.head:
        message = gettext(
            "データベースの外に保存された署名済みの先頭 #%(seq)s をチェーンが通っていません（書き換え）。"
        ) % {"seq": signed.seq}
        report.problems.append(Problem(signed.seq, message))


def _split(first: int, last: int, workers: int) -> list[tuple[int, int]]:
    count = last - first + 1
    if workers <= 1 or count < PARALLEL_MIN:
        return [(first, last)]
    size = -(-count // workers)
    return [(lo, min(last, lo + size - 1)) for lo in range(first, last + 1, size)]


@dataclass
class _Range:
    first: int
    entries: int = 0
    heads: dict[int, str] = field(default_factory=dict)
    first_prev: str | None = None
    last_hash: str | None = None
    problem: Problem | None = None


def _verify_range(first: int, last: int, prev: str | None, checkpoint_seqs: set[int]) -> _Range:
    """Check seals ``first``..``last``. With ``prev`` None (a later part of a parallel run) the first
    entry's previous hash is only reported, for the caller to join the parts."""
    part = _Range(first)
    expected = first
    try:
        for row in _joined_rows(first, last):
            seq, digest, prev_hash, stored = row[0], row[1], row[2], row[3]
            if seq != expected:
                part.problem = _gap(expected, seq)
                return part
            if seq == first:
                part.first_prev = prev_hash
            entry, float_free = entry_of(row[4:])
            if chain.entry_digest(entry, float_free=float_free) != digest:
                message = gettext("イベント %(id)s の内容がダイジェストと一致しません（改ざん）。") % {
                    "id": entry["id"]
                }
                part.problem = Problem(seq, str(message))
                return part
            if prev is not None and prev_hash != prev:
                part.problem = Problem(
                    seq, str(gettext("直前のハッシュが前の項目のハッシュと一致しません（削除・入替・挿入）。"))
                )
                return part
            if chain.chain_hash(prev_hash, digest) != stored:
                part.problem = Problem(seq, str(gettext("ハッシュの再計算結果が一致しません。")))
                return part
            if seq in checkpoint_seqs:
                part.heads[seq] = stored
            prev = part.last_hash = stored
            expected += 1
            part.entries += 1
        if expected <= last:
            part.problem = _gap(expected, None)
        return part
    finally:
        if multiprocessing.parent_process() is not None:
            connections.close_all()


def _joined_rows(first: int, last: int) -> Iterator[tuple[Any, ...]]:
    """Seals joined with their events in seq order, streamed (a server-side cursor on PostgreSQL)."""
    with transaction.atomic():
        cursor = connection.chunked_cursor()
        try:
            cursor.execute(_joined_sql(connection.vendor), [first, last])
            while rows := cursor.fetchmany(FETCH):
                yield from rows
        finally:
            cursor.close()


def _gap(seq: int, found: int | None) -> Problem:
    if AuditSeal.objects.filter(seq=seq).exists():
        return Problem(seq, gettext("封印はありますが対象のイベントがありません（イベントの削除）。"))
    return Problem(seq, gettext("連番 %(seq)s の封印がありません（削除された可能性）。") % {"seq": seq})


def _check_checkpoints(
    checkpoints: dict[int, AuditCheckpoint],
    heads: dict[int, str],
    first: int,
    last_ok: int,
    report: Report,
    public: dict[str, Any],
    *,
    hi: int = 0,
) -> None:
    for seq in sorted(checkpoints):
        cp = checkpoints[seq]
        report.checkpoints += 1
        if not _signed(cp.key_id, cp.payload(), cp.signature, public):
            report.problems.append(
                Problem(seq, gettext("チェックポイントの署名が正しくありません（偽造または未知の鍵）。"), foreign=True)
            )
            continue
        if seq > hi:
            report.problems.append(
                Problem(
                    seq,
                    gettext(
                        "署名済みチェックポイントはこの連番までの記録を示していますが、ログは %(hi)s で終わっています（末尾の削除）。"
                    )
                    % {"hi": hi},
                )
            )
        elif first <= seq <= last_ok and heads.get(seq) != cp.head_hash:
            report.problems.append(Problem(seq, gettext("チェックポイントの先頭ハッシュがチェーンと一致しません。")))
        if cp.prev_seq:  # chained (version 2): the checkpoint it names must be there, unchanged
            before = checkpoints.get(cp.prev_seq)
            if (before is None and cp.prev_seq >= first) or (before is not None and before.head_hash != cp.prev_head):
                message = gettext(
                    "このチェックポイントが直前として示すチェックポイント #%(prev)s がないか、一致しません（削除または書き換え）。"
                ) % {"prev": cp.prev_seq}
                report.problems.append(Problem(seq, message))
