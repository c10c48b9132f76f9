"""The sequencer: gives committed events their place in the hash chain, in batches, off the
request path, and signs checkpoints of the head.

Writers only INSERT into audit_auditevent. A batch, in one transaction holding the sequencer lock
(a PostgreSQL advisory lock; SQLite's write lock), reads unsealed events and appends one seal row
each (seq, event, digest, prev_hash, hash). Two sequencers can never fork the chain: seq is the
seal table's primary key and event_id is unique, so a second writer of the same position fails.

Events whose transactions commit out of id order: on PostgreSQL each event carries its writing
transaction's ID (txid). A batch first reads the snapshot's xmin, the oldest transaction still in
progress; every event with a smaller txid is final (committed and visible, or rolled back). Batches
scan in (txid, id) order from a horizon stored with the last seal, and move the horizon up to at
most xmin, so an event committed late by a long transaction is still found. On SQLite writers are
serialised, ids commit in order, and the horizon is simply the next id.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext

from audit import chain, heads, keys, rows, signing
from audit.actors import SYSTEM
from audit.guard import in_test_environment
from audit.models import AuditCheckpoint, AuditEvent, AuditSeal, AuditSealBatch
from kernel import Actor, ServiceError

log = logging.getLogger(__name__)

LOCK_KEY = 0x6175646974  # "audit"
# Raw SQL on the hot paths (sealing, verification): ORM rows cost more than the hashing.
EVENT_COLUMNS = ", ".join(f"e.{name}" for name in ("txid", *chain.ENTRY_FIELDS))
ROW_FIELDS = ("txid", *chain.ENTRY_FIELDS)
# PostgreSQL writes the time in chain.format_time's spelling itself, cheaper than a datetime per row.
PG_EVENT_COLUMNS = EVENT_COLUMNS.replace(
    "e.created_at", """to_char(e.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"""
)


def event_columns(vendor: str) -> str:
    return PG_EVENT_COLUMNS if vendor == "postgresql" else EVENT_COLUMNS


def entry_of(row: tuple[Any, ...] | list[Any]) -> tuple[dict[str, Any], bool]:
    """The hashed entry from ``EVENT_COLUMNS``-ordered values (txid first, left out), and whether
    its data is free of floats. ``data`` may come as JSON text (raw SQL) or parsed (ORM)."""
    entry = dict(zip(chain.ENTRY_FIELDS, row[1:], strict=True))
    created = entry["created_at"]
    if not (isinstance(created, str) and created.endswith("Z")):  # not yet spelt by PG_EVENT_COLUMNS
        if isinstance(created, str):  # SQLite without converters
            created = datetime.fromisoformat(created)
        if created.tzinfo is None:  # SQLite stores UTC without an offset
            created = created.replace(tzinfo=UTC)
        entry["created_at"] = chain.format_time(created)
    data = entry["data"]
    if isinstance(data, str):
        entry["data"], float_free = chain.load_json(data)
    else:
        entry["data"], float_free = chain.load_json(json.dumps(data))
    return entry, float_free


@dataclass
class SealResult:
    sealed: int = 0
    head_seq: int = 0
    checkpoint: AuditCheckpoint | None = None
    more: bool = False  # the batch stopped at its limit: more may be waiting


@dataclass
class _Snapshot:
    xmax: int  # transactions from here on are not seen by the snapshot (in progress or not begun)
    in_progress: list[int]
    own: int | None = None  # this transaction, if it recorded events (always sees its own)
    system_id: str = ""  # the server's system identifier: transaction IDs count on this server only


def _lock(using: str) -> _Snapshot | None:
    """Take the sequencer lock for this transaction; on PostgreSQL, return which transactions were
    still in progress right after (their events may commit later)."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return None  # the IMMEDIATE transaction already holds SQLite's only write lock
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
        cursor.execute(
            "SELECT pg_snapshot_xmax(s)::text::bigint, ARRAY(SELECT x::text::bigint FROM pg_snapshot_xip(s) AS x), "
            "pg_current_xact_id_if_assigned()::text::bigint FROM pg_current_snapshot() AS s"
        )
        xmax, xip, own = cursor.fetchone()
        cursor.execute("SELECT system_identifier::text FROM pg_control_system()")
        system_id = cursor.fetchone()[0]
        # A snapshot does not list its own transaction, which may have recorded events too.
        own = int(own) if own is not None else None
        return _Snapshot(
            int(xmax), sorted({int(x) for x in xip} | ({own} if own is not None else set())), own, system_id
        )


@dataclass
class _Scan:
    rows: list[Any]  # unsealed events to seal, in (txid, id) order
    full: bool  # the limit cut the scan short
    last: tuple[int, int] | None  # the last (txid, id) looked at


def _unsealed(cursor: Any, snapshot: _Snapshot | None, horizon: tuple[int, int], watch: list[int], limit: int) -> _Scan:
    """Unsealed committed events in (txid, id) order: first those of watched transactions below the
    horizon, then those from the horizon on. Index range scans only: the planner's guess for an
    anti-join against a fast-growing seal table is poor, so the horizon range is read in index order
    and the few already sealed rows are dropped here."""
    columns = event_columns(cursor.db.vendor)
    if snapshot is None:
        cursor.execute(
            f"SELECT {columns} FROM audit_auditevent e WHERE e.id >= %s "  # noqa: S608  (constants only)
            "AND NOT EXISTS (SELECT 1 FROM audit_auditseal s WHERE s.event_id = e.id) ORDER BY e.id LIMIT %s",
            [horizon[1], limit],
        )
        found = cursor.fetchall()
        return _Scan(found, len(found) == limit, (0, found[-1][1]) if found else None)
    rows: list[Any] = []
    if watch:
        cursor.execute("SET LOCAL enable_hashjoin = off")  # few rows: probe the seal index for each
        cursor.execute(
            f"SELECT {columns} FROM audit_auditevent e "  # noqa: S608  (constants only)
            "WHERE e.txid = ANY(%s) AND (e.txid, e.id) < (%s, %s) "
            "AND NOT EXISTS (SELECT 1 FROM audit_auditseal s WHERE s.event_id = e.id) ORDER BY e.txid, e.id LIMIT %s",
            [watch, horizon[0], horizon[1], limit],
        )
        rows = cursor.fetchall()
        if len(rows) == limit:
            return _Scan(rows, True, (rows[-1][0], rows[-1][1]))
    room, position = limit - len(rows), horizon
    while True:
        # Only transactions the snapshot speaks for (and this one's own events): each statement here
        # sees a later moment than the snapshot, and a transaction it does not list (begun after it,
        # or newer than every finished one) could still be open below a newer one's events, fall
        # under the horizon unwatched and never be sealed.
        cursor.execute(
            f"SELECT {columns} FROM audit_auditevent e WHERE (e.txid, e.id) >= (%s, %s) "  # noqa: S608  (constants only)
            "AND (e.txid < %s OR e.txid = %s) ORDER BY e.txid, e.id LIMIT %s",
            [position[0], position[1], snapshot.xmax, snapshot.own, room],
        )
        candidates = cursor.fetchall()
        if not candidates:
            return _Scan(rows, False, (rows[-1][0], rows[-1][1]) if rows else None)
        cursor.execute("SELECT event_id FROM audit_auditseal WHERE event_id = ANY(%s)", [[r[1] for r in candidates]])
        sealed = {r[0] for r in cursor.fetchall()}
        fresh = [r for r in candidates if r[1] not in sealed]
        rows += fresh
        last = (candidates[-1][0], candidates[-1][1])
        if len(candidates) < room or fresh:
            return _Scan(rows, len(candidates) == room, last)
        position = (last[0], last[1] + 1)  # a whole window already sealed: look further


def _next_scan(
    snapshot: _Snapshot | None, horizon: tuple[int, int], watch: list[int], scan: _Scan
) -> tuple[tuple[int, int], list[int]]:
    """Where the next batch looks: above the new horizon, plus the transactions below it that were
    still in progress (watched until a batch that was not full has looked at them once finished)."""
    if snapshot is None:  # SQLite: ids commit in order
        return (0, scan.rows[-1][1] + 1) if scan.rows else horizon, []
    if not scan.full:
        # Everything visible is sealed; transactions from xmax on had not started.
        new = max(horizon, (snapshot.xmax, 0))
        return new, [x for x in snapshot.in_progress if (x, 0) < new]
    if scan.last is None:
        return horizon, watch
    # Never above the snapshot's xmax (only this transaction's own events are read beyond it).
    new = max(horizon, min((scan.last[0], scan.last[1] + 1), (snapshot.xmax, 0)))
    still = set(watch) | {x for x in snapshot.in_progress if (x, 0) < new}
    return new, sorted(x for x in still if (x, 0) < new)


def _insert_seals(cursor: Any, seals: list[tuple[int, int, str, str, str]], now: datetime) -> None:
    # One statement for the whole batch; the ORM's bulk_create cost as much as the hashing.
    if cursor.db.vendor == "postgresql":
        with (
            cursor.connection.cursor() as raw,
            raw.copy("COPY audit_auditseal (seq, event_id, digest, prev_hash, hash, sealed_at) FROM STDIN") as copy,
        ):
            for seal in seals:
                copy.write_row((*seal, now))
    else:
        cursor.executemany(
            "INSERT INTO audit_auditseal (seq, event_id, digest, prev_hash, hash, sealed_at) VALUES (%s, %s, %s, %s, %s, %s)",
            [(*seal, now) for seal in seals],
        )


def seal_batch(limit: int | None = None, *, using: str = "default", sign: bool = True) -> SealResult:
    """Seal up to ``limit`` committed events; sign a checkpoint when one is due (and ``sign``)."""
    limit = limit or settings.AUDIT_SEAL_BATCH
    connection = connections[using]
    with transaction.atomic(using=using):
        snapshot = _lock(using)
        # The chain continues from the last batch, not from the last seal row: after archived rows
        # were pruned, or if someone deleted the tail, numbering goes on (and verify sees any gap).
        batch = AuditSealBatch.objects.using(using).order_by("-last_seq").first()
        seq, prev = (batch.last_seq, batch.last_hash) if batch else (0, chain.GENESIS)
        horizon, watch = ((batch.horizon, batch.horizon_id), list(batch.watch)) if batch else ((0, 0), [])
        if batch and snapshot and batch.system_id != snapshot.system_id:
            # Restored onto another server (or the first batch since system IDs were kept): the
            # stored horizon and the transaction IDs of restored events are the old server's, not
            # comparable with this one's. Seal every visible event once, by id (see _rescan).
            log.warning("audit sequencer: server changed (%s -> %s), rescanning", batch.system_id, snapshot.system_id)
            return _rescan(snapshot, batch, limit, using=using, sign=sign)
        with connection.cursor() as cursor:
            scan = _unsealed(cursor, snapshot, horizon, watch, limit)
        rows = scan.rows
        now = timezone.now()
        seals, seq, prev = _chain(rows, seq, prev)
        if rows:
            with connection.cursor() as cursor:
                _insert_seals(cursor, seals, now)
            (h_txid, h_id), watch = _next_scan(snapshot, horizon, watch, scan)
            AuditSealBatch.objects.using(using).create(
                last_seq=seq,
                last_hash=prev,
                horizon=h_txid,
                horizon_id=h_id,
                watch=watch,
                sealed_at=now,
                system_id=snapshot.system_id if snapshot else "",
            )
        result = SealResult(sealed=len(rows), head_seq=seq, more=scan.full and bool(rows))
        result.checkpoint = _checkpoint_if_due(seq, prev, now, using=using) if sign else None
    return result


def _chain(rows: list[Any], seq: int, prev: str) -> tuple[list[tuple[int, int, str, str, str]], int, str]:
    """The seals of ``rows`` after position ``seq`` with head ``prev``: (seals, new seq, new head)."""
    seals: list[tuple[int, int, str, str, str]] = []
    for row in rows:
        seq += 1
        entry, float_free = entry_of(row)
        digest = chain.entry_digest(entry, float_free=float_free)
        new = chain.chain_hash(prev, digest)
        seals.append((seq, row[1], digest, prev, new))
        prev = new
    return seals, seq, prev


def _rescan(snapshot: _Snapshot, batch: AuditSealBatch, limit: int, *, using: str, sign: bool) -> SealResult:
    """Seal every committed event not yet sealed, in id order, after a change of server. Whatever a
    statement sees is committed, so it may be sealed; what commits later is found by the ordinary
    scans from the horizon this batch stores: the transactions the snapshot saw in progress are
    watched, and every later one has a transaction ID from the snapshot's xmax on. All in this one
    transaction (under the sequencer lock), in windows of ``limit`` rows. The change is itself an
    event, sealed here: there is always a batch row to name the new server."""
    _record("audit.server_changed", actor=SYSTEM, previous_system_id=batch.system_id, system_id=snapshot.system_id)
    seq, prev = batch.last_seq, batch.last_hash
    connection = connections[using]
    columns = event_columns(connection.vendor)
    now = timezone.now()
    sealed, after = 0, 0
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {columns} FROM audit_auditevent e WHERE e.id > %s "  # noqa: S608  (constants only)
                "AND NOT EXISTS (SELECT 1 FROM audit_auditseal s WHERE s.event_id = e.id) ORDER BY e.id LIMIT %s",
                [after, limit],
            )
            rows = cursor.fetchall()
            if not rows:
                break
            seals, seq, prev = _chain(rows, seq, prev)
            _insert_seals(cursor, seals, now)
        sealed += len(rows)
        after = rows[-1][1]
    AuditSealBatch.objects.using(using).create(
        last_seq=seq,
        last_hash=prev,
        horizon=snapshot.xmax,
        horizon_id=0,
        watch=[x for x in snapshot.in_progress if x != snapshot.own],
        sealed_at=now,
        system_id=snapshot.system_id,
    )
    result = SealResult(sealed=sealed, head_seq=seq)
    result.checkpoint = _checkpoint_if_due(seq, prev, now, using=using) if sign else None
    return result


def seal_pending(*, using: str = "default", max_batches: int | None = None, sign: bool = True) -> SealResult:
    """Seal until nothing committed is left unsealed (or ``max_batches`` ran). ``sign=False``: no
    checkpoint now (verification and export sign only after they verified)."""
    total = SealResult()
    batches = 0
    while True:
        result = seal_batch(using=using, sign=sign)
        batches += 1
        total.sealed += result.sealed
        total.head_seq = result.head_seq
        total.checkpoint = result.checkpoint or total.checkpoint
        # Not "fewer than a batch sealed": a full scan may have passed over already sealed rows.
        if not result.more or (max_batches and batches >= max_batches):
            return total


def _valid(checkpoint: AuditCheckpoint, public: dict[str, Any]) -> bool:
    key = public.get(checkpoint.key_id)
    return key is not None and signing.verify(key, checkpoint.payload(), checkpoint.signature)


def latest_checkpoint(seq: int, *, using: str = "default") -> AuditCheckpoint | None:
    """The newest checkpoint at or below ``seq`` that this service signed. A row past the head, or
    one whose signature does not check, was not written by the sequencer: it is passed over here
    (audit_verify reports it) so that it cannot stop checkpointing."""
    public = keys.public_keys()
    for checkpoint in AuditCheckpoint.objects.using(using).filter(seq__lte=seq).order_by("-seq")[:20]:
        if _valid(checkpoint, public):
            return checkpoint
    return None


def _checkpoint_if_due(seq: int, head: str, now: Any, *, using: str, force: bool = False) -> AuditCheckpoint | None:
    if seq == 0:
        return None
    latest = latest_checkpoint(seq, using=using)
    if latest is not None:
        if latest.seq >= seq:
            return latest if force else None
        due = seq - latest.seq >= settings.AUDIT_CHECKPOINT_EVERY or now - latest.signed_at >= timedelta(
            seconds=settings.AUDIT_CHECKPOINT_SECONDS
        )
        if not (due or force):
            return None
    try:
        return _sign(seq, head, now, using=using)
    except keys.KeyNotYetMade as err:
        # Expected until the key's first use outside a transaction: nothing is wrong yet.
        log.debug("audit checkpoint waits for its key: %s", err)
        return None
    except keys.KeyUnavailable:
        # Sealing goes on without the key (system check audit.E001 says why); checkpoints resume
        # at the head once the key is there.
        log.exception("audit checkpoint not signed")
        return None


def _sign(seq: int, head: str, now: datetime, *, using: str) -> AuditCheckpoint | None:
    """Sign and store a checkpoint of (seq, head), which must extend the last head signed (kept
    outside the database, audit.heads); None when the position is refused."""
    key = keys.private_key()
    kid = signing.key_id(key.public_key())
    state = keys.head_path()
    try:
        last = heads.read(state) if state else None
    except heads.Unreadable as err:
        _refuse(seq, head, "head_unreadable", str(err))
        return None
    if last is None:
        # Nothing signed with this head file yet (a new installation, or checkpoints from before
        # heads were kept outside the database): start from the newest checkpoint we signed.
        found = latest_checkpoint(seq, using=using)
        last = heads.Head(found.seq, found.head_hash) if found else heads.GENESIS
    earlier = seq < last.seq
    if earlier:
        # A checkpoint in the past (an archive segment ends there): the last signed head must
        # extend it. The head file stays where it is.
        problem = _extension_problem(heads.Head(seq, head), last, using=using)
        before = latest_checkpoint(seq - 1, using=using)
        prev = heads.Head(before.seq, before.head_hash) if before else heads.GENESIS
    else:
        problem = _extension_problem(last, heads.Head(seq, head), using=using)
        prev = last
    if problem is not None:
        _refuse(seq, head, "head_not_extended", problem)
        return None
    if last.seq == seq:  # already signed: the stored checkpoint stands
        return latest_checkpoint(seq, using=using)
    checkpoint = AuditCheckpoint(
        seq=seq, head_hash=head, signed_at=now, key_id=kid, signature="", prev_seq=prev.seq, prev_head=prev.head
    )
    checkpoint.signature = signing.sign(key, checkpoint.payload())
    try:
        with transaction.atomic(using=using):
            checkpoint.save(using=using, force_insert=True)
    except IntegrityError:
        # A row someone else wrote at this position (never one of ours: that would have been the
        # latest above). Append-only, it stays; the next checkpoint goes one position further.
        _refuse(seq, head, "occupied", gettext("#%(seq)s には既に別のチェックポイントがあります") % {"seq": seq})
        return None
    if state is not None and not earlier:
        # Before the commit: a head written here and then rolled back is reported (the chain no
        # longer runs through it), never a head signed and forgotten.
        heads.write(state, heads.Head(seq, head, chain.format_time(now), kid))
    return checkpoint


def _extension_problem(last: heads.Head, new: heads.Head, *, using: str) -> str | None:
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT seq, digest, hash FROM audit_auditseal WHERE seq > %s AND seq <= %s ORDER BY seq",
            [last.seq, new.seq],
        )
        return heads.extension_problem(last, cursor.fetchall(), new)


def _refuse(seq: int, head: str, code: str, reason: str) -> None:
    """Record the refusal in the sealing transaction, which commits (its seals stand), with a stable
    ``code`` and the ``reason`` in words; at most once per checkpoint interval, since sealing the
    refusal itself makes a new head to refuse."""
    log.error("audit checkpoint at #%s refused (%s): %s", seq, code, reason)
    since = timezone.now() - timedelta(seconds=settings.AUDIT_CHECKPOINT_SECONDS)
    if not AuditEvent.objects.filter(event_type="audit.checkpoint_refused", created_at__gte=since).exists():
        _record("audit.checkpoint_refused", actor=SYSTEM, refused=True, seq=seq, head=head, code=code, reason=reason)


def checkpoint_now(*, using: str = "default") -> AuditCheckpoint | None:
    """Seal what is pending and make sure a checkpoint covers the head (exports and archives end there)."""
    for _attempt in range(3):  # a refused position records an event: the head moves on, sign there
        seal_pending(using=using)
        with transaction.atomic(using=using):
            _lock(using)
            last = AuditSeal.objects.using(using).order_by("-seq").values_list("seq", "hash").first()
            if last is None:
                return None
            checkpoint = _checkpoint_if_due(last[0], last[1], timezone.now(), using=using, force=True)
        if checkpoint is not None and checkpoint.seq == last[0]:
            return checkpoint
    return None


# --- after-commit sealing --------------------------------------------------------------------------
class _SealerThread(threading.Thread):
    """One per process: woken after each commit that recorded events, and every checkpoint interval."""

    def __init__(self) -> None:
        super().__init__(name="audit-sealer", daemon=True)
        self.wakeup = threading.Event()

    def run(self) -> None:
        while True:
            self.wakeup.wait(timeout=settings.AUDIT_CHECKPOINT_SECONDS)
            self.wakeup.clear()
            try:
                for task in _round_tasks:
                    task()  # e.g. refusals counted in windows that have closed (audit.tally, see audit.apps)
                seal_pending()
            except Exception:  # never let the thread die; the next wake-up or audit_seal --loop retries
                log.exception("audit sealing failed")
                time.sleep(1)
            finally:
                connections.close_all()


_thread: _SealerThread | None = None
_thread_lock = threading.Lock()
_round_tasks: list[Callable[[], object]] = []


def before_each_round(task: Callable[[], object]) -> None:
    """Run ``task`` at the start of every round of the sealer thread (audit.apps adds the flush of
    audit.tally, which itself records events and so stands above this module)."""
    if task not in _round_tasks:
        _round_tasks.append(task)


def _record(event_type: str, *, actor: Actor | None, **data: Any) -> None:
    """The sequencer's own events (audit.recorder.record, which stands above this module)."""
    rows.insert(rows.event(event_type, actor, None, data))
    wake_after_commit()


def wake_after_commit() -> None:
    """Have the sequencer run once the current transaction commits: once per transaction, however
    many events it records; at once in autocommit (the validity answer's statement), without going
    through on_commit's bookkeeping."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block and connection.get_autocommit():
        after_commit()
    elif not (connection.in_atomic_block and any(entry[1] is after_commit for entry in connection.run_on_commit)):
        transaction.on_commit(after_commit)


def after_commit() -> None:
    """Called once per committed transaction that recorded events (see recorder.record)."""
    mode = settings.AUDIT_SEALER
    if mode == "thread" and in_test_environment():
        return  # tests seal explicitly; a thread would outlive the test database
    if mode == "inline":
        try:
            seal_pending(max_batches=10)
        except Exception:  # the request already succeeded; the worker will seal later
            log.exception("audit sealing after commit failed")
    elif mode == "thread":
        global _thread
        with _thread_lock:
            if _thread is None or not _thread.is_alive():  # also after a fork
                _thread = _SealerThread()
                _thread.start()
        _thread.wakeup.set()


def checkpoint_at(seq: int, *, using: str = "default") -> AuditCheckpoint:
    """A signed checkpoint at exactly ``seq`` (archive segments end on one). Verify first."""
    existing = latest_checkpoint(seq, using=using)
    if existing is not None and existing.seq == seq:
        return existing
    head = AuditSeal.objects.using(using).values_list("hash", flat=True).get(seq=seq)
    checkpoint = _sign(seq, head, timezone.now(), using=using)
    if checkpoint is None:
        raise CheckpointRefused(seq)
    return checkpoint


class CheckpointRefused(ServiceError):
    """The sequencer would not sign this position (see the audit.checkpoint_refused event)."""
