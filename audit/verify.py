"""Verification of the chain stored in the database: every hash recomputed, sequence continuity,
every checkpoint's signature and agreement with the chain, archived segments at the start."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import Max, Min
from django.utils.translation import gettext as _

from audit import chain, guard, keys, signing
from audit.models import AuditCheckpoint, AuditSeal, AuditSegment
from audit.sealing import EVENT_COLUMNS, entry_of

JOINED_SQL = (
    f"SELECT s.seq, s.digest, s.prev_hash, s.hash, {EVENT_COLUMNS} "  # noqa: S608  (constants only)
    "FROM audit_auditseal s JOIN audit_auditevent e ON e.id = s.event_id "
    "WHERE s.seq >= %s AND s.seq <= %s ORDER BY s.seq"
)
FETCH = 10_000


@dataclass
class Problem:
    seq: int | None
    message: str

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

    @property
    def ok(self) -> bool:
        return not self.problems

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
            Problem(first - 1, _("この連番の封印がなく、アーカイブ区間にも含まれていません（削除された可能性）。"))
        )
        return None
    if not _signed(segment.key_id, segment.payload(), segment.signature, public):
        report.problems.append(
            Problem(first - 1, _("アーカイブ区間 %(range)s の署名が正しくありません。") % {"range": segment})
        )
        return None
    return segment.last_hash


def _signed(kid: str, payload: dict[str, Any], signature: str, public: dict[str, Any]) -> bool:
    key = public.get(kid)
    return key is not None and signing.verify(key, payload, signature)


def verify_chain(from_seq: int | None = None, to_seq: int | None = None) -> Report:
    report = Report()
    public = keys.public_keys()
    for name in guard.missing_triggers():
        report.problems.append(Problem(None, _("追記専用トリガー %(name)s がありません。") % {"name": name}))
    bounds = AuditSeal.objects.aggregate(lo=Min("seq"), hi=Max("seq"))
    lo, hi = bounds["lo"] or 0, bounds["hi"] or 0
    first = max(from_seq or lo, lo, 1)
    last = min(to_seq or hi, hi)
    report.from_seq, report.to_seq = first, last
    checkpoints = {cp.seq: cp for cp in AuditCheckpoint.objects.all()}
    if hi == 0:
        if checkpoints:
            report.problems.append(
                Problem(None, _("封印が一件もないのにチェックポイントがあります（全件削除の可能性）。"))
            )
        _check_checkpoints(checkpoints, {}, 0, 0, report, public)
        return report
    prev = _anchor(first, report, public) if first <= last else None
    heads: dict[int, str] = {}
    expected = first
    for row in _joined_rows(first, last):
        seq, digest, prev_hash, stored = row[0], row[1], row[2], row[3]
        if seq != expected:
            report.problems.append(_gap(expected, seq))
            break
        entry, float_free = entry_of(row[4:])
        if chain.entry_digest(entry, float_free=float_free) != digest:
            report.problems.append(
                Problem(seq, _("イベント %(id)s の内容がダイジェストと一致しません（改ざん）。") % {"id": entry["id"]})
            )
            break
        if prev is not None and prev_hash != prev:
            report.problems.append(
                Problem(seq, _("直前のハッシュが前の項目のハッシュと一致しません（削除・入替・挿入）。"))
            )
            break
        if chain.chain_hash(prev_hash, digest) != stored:
            report.problems.append(Problem(seq, _("ハッシュの再計算結果が一致しません。")))
            break
        if seq in checkpoints:
            heads[seq] = stored
        prev = stored
        expected += 1
        report.entries += 1
    else:
        if expected <= last:
            report.problems.append(_gap(expected, None))
    report.head_hash = prev or ""
    _check_checkpoints(checkpoints, heads, first, last if not report.problems else expected - 1, report, public, hi=hi)
    return report


def _joined_rows(first: int, last: int) -> Iterator[tuple[Any, ...]]:
    """Seals joined with their events in seq order, streamed (a server-side cursor on PostgreSQL)."""
    with transaction.atomic():
        cursor = connection.chunked_cursor()
        try:
            cursor.execute(JOINED_SQL, [first, last])
            while rows := cursor.fetchmany(FETCH):
                yield from rows
        finally:
            cursor.close()


def _gap(seq: int, found: int | None) -> Problem:
    if AuditSeal.objects.filter(seq=seq).exists():
        return Problem(seq, _("封印はありますが対象のイベントがありません（イベントの削除）。"))
    return Problem(seq, _("連番 %(seq)s の封印がありません（削除された可能性）。") % {"seq": seq})


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
            report.problems.append(Problem(seq, _("チェックポイントの署名が正しくありません（偽造または未知の鍵）。")))
            continue
        if seq > hi:
            report.problems.append(
                Problem(
                    seq,
                    _(
                        "署名済みチェックポイントはこの連番までの記録を示していますが、ログは %(hi)s で終わっています（末尾の削除）。"
                    )
                    % {"hi": hi},
                )
            )
        elif first <= seq <= last_ok and heads.get(seq) != cp.head_hash:
            report.problems.append(Problem(seq, _("チェックポイントの先頭ハッシュがチェーンと一致しません。")))
