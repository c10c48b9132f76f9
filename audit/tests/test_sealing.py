"""The sequencer: every committed event sealed exactly once, in a gap-free chain, with many writers
and sequencers at once, and events that commit out of id order."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.db import IntegrityError, connection, connections, transaction
from django.db.models import Count, Max

import audit
from audit.models import AuditCheckpoint, AuditEvent, AuditSeal
from audit.sealing import seal_pending
from audit.tests.conftest import on_postgresql, postgresql_only, record_many
from audit.verify import verify_chain

ROOT = Path(__file__).resolve().parents[2]


def assert_sealed_once_without_gaps():
    seal_pending()
    events = AuditEvent.objects.count()
    seals = AuditSeal.objects.aggregate(n=Count("seq"), hi=Max("seq"))
    assert seals["n"] == events == seals["hi"]
    assert AuditEvent.objects.unsealed().count() == 0
    report = verify_chain()
    assert report.ok, report.problems


def test_record_only_inserts_and_the_sequencer_seals_later(db):
    event = audit.record("test.event", actor=audit.SYSTEM)
    assert not AuditSeal.objects.filter(event=event).exists()
    result = seal_pending()
    assert result.sealed >= 1
    assert AuditSeal.objects.get(event=event).seq == result.head_seq


def test_sealing_after_commit_runs_inline_when_configured(transactional_db, settings):
    settings.AUDIT_SEALER = "inline"
    with transaction.atomic():
        event = audit.record("test.event", actor=audit.SYSTEM)
        assert not AuditSeal.objects.filter(event=event).exists()
    assert AuditSeal.objects.filter(event=event).exists()


def test_every_round_of_the_sealer_thread_flushes_the_closed_tally_windows_first():
    # audit.tally records events and wakes the sequencer, so the sequencer does not import it: the
    # app adds the flush to the thread's rounds when it starts.
    from audit import sealing, tally

    assert sealing._round_tasks == [tally.flush]


def test_checkpoints_follow_every_n_entries(db, settings):
    settings.AUDIT_CHECKPOINT_EVERY = 4
    settings.AUDIT_SEAL_BATCH = 4
    seal_pending()
    before = AuditCheckpoint.objects.count()
    record_many(12)
    seal_pending()
    assert AuditCheckpoint.objects.count() - before == 3


def test_a_second_seal_at_the_same_position_is_refused(db):
    record_many(2)
    seal_pending()
    head = AuditSeal.objects.order_by("-seq")[0]
    other = audit.record("test.event", actor=audit.SYSTEM)
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditSeal.objects.create(
            seq=head.seq,
            event=other,
            digest="0" * 64,
            prev_hash="0" * 64,
            hash="0" * 64,
            sealed_at=head.sealed_at,
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditSeal.objects.create(
            seq=head.seq + 1,
            event=head.event,
            digest="0" * 64,
            prev_hash=head.hash,
            hash="0" * 64,
            sealed_at=head.sealed_at,
        )


def _in_thread(target, *args):
    errors = []

    def run():
        try:
            target(*args)
        except Exception as err:  # noqa: BLE001  (reported to the test thread)
            errors.append(err)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, errors


@pytest.mark.skipif(
    not on_postgresql(),
    reason="SQLite serialises writers by design; its shared in-memory test database does not take threads",
)
def test_many_writers_and_two_sequencers_never_leave_gaps_or_forks(transactional_db, settings):
    settings.AUDIT_SEAL_BATCH = 7  # many small batches, so the sequencers interleave
    stop = threading.Event()

    def writer(n):
        for i in range(40):
            with transaction.atomic():
                audit.record("test.concurrent", actor=audit.SYSTEM, writer=n, i=i)
                if i % 3 == 0:
                    audit.record("test.concurrent", actor=audit.SYSTEM, writer=n, i=i, second=True)

    def sequencer():
        while not stop.is_set():
            seal_pending()

    sequencers = [_in_thread(sequencer) for _ in range(2)]
    writers = [_in_thread(writer, n) for n in range(8)]
    for thread, errors in writers:
        thread.join()
        assert not errors, errors
    stop.set()
    for thread, errors in sequencers:
        thread.join()
        assert not errors, errors
    assert AuditEvent.objects.filter(event_type="test.concurrent").count() == 8 * (40 + 14)
    assert_sealed_once_without_gaps()


@postgresql_only
def test_a_transaction_begun_after_the_batchs_snapshot_is_not_passed_over(transactional_db, settings):
    """Each statement of a batch sees its own moment. A transaction that starts after the batch noted
    which ones were in progress, and is still open when a newer one has committed, must not fall
    below the horizon unwatched (its event would never be sealed)."""
    from audit.sealing import seal_batch

    settings.AUDIT_SEAL_BATCH = 2
    seal_pending()
    opened, release = threading.Event(), threading.Event()
    threads: list[tuple[threading.Thread, list[Exception]]] = []

    def open_transaction():
        with transaction.atomic():
            audit.record("test.opened_after_snapshot", actor=audit.SYSTEM)
            opened.set()
            release.wait(10)

    def newer_commits():
        record_many(2)

    def between_snapshot_and_scan(execute, sql, params, many, context):
        if "ORDER BY e.txid, e.id LIMIT" in sql and not threads:
            threads.append(_in_thread(open_transaction))
            assert opened.wait(10)
            newer = _in_thread(newer_commits)
            newer[0].join()
            assert not newer[1], newer[1]
        return execute(sql, params, many, context)

    with connection.execute_wrapper(between_snapshot_and_scan):
        seal_batch()
    assert threads, "the batch never scanned"
    release.set()
    thread, errors = threads[0]
    thread.join()
    assert not errors, errors
    seal_pending()
    assert AuditEvent.objects.filter(event_type="test.opened_after_snapshot", seal__isnull=False).exists()
    assert_sealed_once_without_gaps()


@postgresql_only
def test_an_event_committed_late_by_a_long_transaction_is_still_sealed(transactional_db, settings):
    settings.AUDIT_SEAL_BATCH = 2
    started, release = threading.Event(), threading.Event()

    def long_transaction():
        with transaction.atomic():
            audit.record("test.late", actor=audit.SYSTEM)  # gets the lower id ...
            started.set()
            release.wait(10)  # ... and commits last

    thread, errors = _in_thread(long_transaction)
    started.wait(10)
    record_many(5)  # higher ids, committed first
    seal_pending()
    assert not AuditSeal.objects.filter(event__event_type="test.late").exists()
    release.set()
    thread.join()
    assert not errors
    record_many(3)
    assert_sealed_once_without_gaps()
    late = AuditSeal.objects.get(event__event_type="test.late")
    assert late.seq > AuditSeal.objects.filter(event__event_type="test.event").order_by("seq")[4].seq


def test_an_empty_log_verifies(db):
    report = verify_chain()
    assert report.ok or report.entries == 0


def test_a_transaction_wakes_the_sequencer_once_however_many_events_it_records(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        record_many(5)
    assert len(callbacks) == 1


@postgresql_only
def test_two_sealer_processes_at_once_never_fork_the_chain(transactional_db, settings):
    """Two ``audit_seal --loop`` processes (an operator started a second by mistake, or two hosts
    run the scheduler) seal the same stream of commits: each event once, one chain, verified."""
    db = connection.settings_dict
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "AUDIT_"))},
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "AUDIT_CHECKPOINT_KEY_PATH": settings.AUDIT_CHECKPOINT_KEY_PATH,
        "AUDIT_SEALER": "off",
        "AUDIT_SEAL_BATCH": "5",  # many small batches, so the two interleave
        "AUDIT_CHECKPOINT_EVERY": "40",
    }
    # The flush before this test re-creates the roles' events, and a sealer still configured by the
    # previous test may have sealed them: count only the seals these two processes make.
    sealed_before = AuditSeal.objects.count()
    sealers = [
        subprocess.Popen(
            [sys.executable, "manage.py", "audit_seal", "--loop", "--interval", "0.01"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(2)
    ]
    # Each sealer's output is read whole through the one text stream: readline() may already hold
    # the first round's line in its buffer, which communicate() (reading the pipe itself) would drop.
    outputs = [""] * len(sealers)

    def read_all(i):
        outputs[i] = sealers[i].stdout.read()

    readers = []
    try:
        for sealer in sealers:  # both running before the first event
            assert sealer.stdout is not None
            assert "封印します" in sealer.stdout.readline()  # the sealer's start line
        readers = [threading.Thread(target=read_all, args=(i,)) for i in range(len(sealers))]
        for reader in readers:
            reader.start()

        def writer(n):
            for i in range(60):
                with transaction.atomic():
                    audit.record("test.two_sealers", actor=audit.SYSTEM, writer=n, i=i)

        writers = [_in_thread(writer, n) for n in range(6)]
        for thread, errors in writers:
            thread.join()
            assert not errors, errors
        deadline = time.monotonic() + 60
        while AuditEvent.objects.unsealed().exists() and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        for sealer in sealers:
            sealer.send_signal(signal.SIGINT)
        for sealer in sealers:
            try:
                sealer.wait(timeout=30)
            except subprocess.TimeoutExpired:
                sealer.kill()
                sealer.wait()
        for reader in readers:
            reader.join(timeout=30)
    sealed = [sum(int(n) for n in re.findall(r"(\d+) 件を封印しました", out)) for out in outputs]
    assert all(sealer.returncode == 0 for sealer in sealers), outputs
    assert all(n > 0 for n in sealed), outputs  # both really sealed, taking turns
    assert AuditEvent.objects.unsealed().count() == 0
    assert sum(sealed) == AuditSeal.objects.count() - sealed_before  # no event sealed twice
    assert AuditCheckpoint.objects.count() >= 2
    assert_sealed_once_without_gaps()
