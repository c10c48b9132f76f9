"""Audit-log speed (issue 3), each figure beside a baseline measured in the same run.

    .venv/bin/python bench/audit_log.py            # small: 50,000 events (a few minutes at most)
    .venv/bin/python bench/audit_log.py --full     # the issue's figures: 1,000,000 events

Needs PostgreSQL (DATABASE_URL). Works in its own throw-away database (created and migrated here,
dropped at the end), because audit rows can never be deleted once written.
  1. record() on the request path: audit.record() (ORM insert, context, JSON) vs. a plain single-row
     ORM insert into a table of the same shape and indexes without triggers; one writer, then 16
     writer processes at once, sampling pg_stat_activity for lock waits meanwhile;
  2. sealing: seal_pending() over a backlog of N committed events (baseline: reading those N rows);
  3. audit_verify over N sealed events (baseline: the same rows read without hashing);
  4. export of N events (CSV ZIP) to a file in a child process, with its peak RSS, and the RSS after
     the first tenth, to show memory stays flat.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mynatrust.settings")
os.environ.setdefault("AUDIT_SEALER", "off")


def _setup() -> None:
    import django

    django.setup()
    from audit import labels

    labels.declare_namespace("bench", "ベンチマーク")  # the events this bench records


_PLAIN: list[object] = []


def _plain_model() -> Any:
    if _PLAIN:
        return _PLAIN[0]
    from django.db import models

    class PlainEvent(models.Model):  # noqa: DJ008
        created_at = models.DateTimeField()
        event_type = models.CharField(max_length=80)
        actor_kind = models.CharField(max_length=16)
        actor_id = models.CharField(max_length=64)
        actor_label = models.CharField(max_length=255)
        subject_type = models.CharField(max_length=80)
        subject_id = models.CharField(max_length=64)
        data = models.JSONField()
        request_id = models.CharField(max_length=64)
        ip = models.CharField(max_length=64)
        user_agent = models.CharField(max_length=255)

        class Meta:
            app_label = "audit"
            managed = False
            db_table = "bench_plain_event"

    _PLAIN.append(PlainEvent)
    return PlainEvent


def _one_plain(model: Any, i: int) -> None:
    from django.utils import timezone

    model.objects.create(
        created_at=timezone.now(),
        event_type="bench.plain",
        actor_kind="staff",
        actor_id="42",
        actor_label="auditor@staff.example.jp",
        subject_type="registry.subscriber",
        subject_id=str(i),
        data={"n": i, "note": "承認しました"},
        request_id="0123456789abcdef0123456789abcdef",
        ip="203.0.113.5",
        user_agent="Mozilla/5.0 bench",
    )


def _one_raw(model: Any, i: int) -> None:
    from django.db import connection
    from django.utils import timezone

    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO bench_plain_event (created_at, event_type, actor_kind, actor_id, actor_label, subject_type, "
            "subject_id, data, request_id, ip, user_agent) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
            [
                timezone.now(),
                "bench.raw",
                "staff",
                "42",
                "auditor@staff.example.jp",
                "registry.subscriber",
                str(i),
                f'{{"n": {i}, "note": "承認しました"}}',
                "0123456789abcdef0123456789abcdef",
                "203.0.113.5",
                "Mozilla/5.0 bench",
            ],
        )
        cursor.fetchone()


def _one_record(i: int) -> None:
    import audit
    from audit import context

    token = context.bind(context.RequestContext("0123456789abcdef0123456789abcdef", "203.0.113.5", "Mozilla/5.0 bench"))
    try:
        audit.record(
            "bench.record",
            actor=audit.ActorRecord("staff", "42", "auditor@staff.example.jp"),
            subject=("registry.subscriber", str(i)),
            n=i,
            note="承認しました",
        )
    finally:
        context.reset(token)


def _writer(kind: str, count: int, start: Any) -> None:
    # Forked from the set-up parent (whose connections were closed first): opens its own connection.
    from django.db import connection

    model = _plain_model()
    start.wait()
    for i in range(count):
        if kind == "plain":
            _one_plain(model, i)
        else:
            _one_record(i)
    connection.close()


def _timed(fn: Any, *args: Any) -> float:
    began = time.perf_counter()
    fn(*args)
    return time.perf_counter() - began


def _one_record_for(model: Any, i: int) -> None:
    _one_record(i)


def _many(fn: Any, model: Any, count: int) -> None:
    for i in range(count):
        fn(model, i)


def bench_record(n: int, db_name: str) -> None:
    from django.db import connection

    model = _plain_model()
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE bench_plain_event (LIKE audit_auditevent INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING INDEXES)"
        )
    for warm in range(200):
        _one_plain(model, warm)
        _one_record(warm)
    rounds: dict[str, list[float]] = {"plain": [], "record": []}
    for _ in range(5):  # interleaved rounds, so drift hits both alike
        rounds["plain"].append(_timed(_many, _one_plain, model, n // 5) / (n // 5))
        rounds["record"].append(_timed(_many, _one_record_for, None, n // 5) / (n // 5))
    plain, rec = statistics.median(rounds["plain"]), statistics.median(rounds["record"])
    print(f"1. one writer, {n} inserts each, each its own transaction (median of 5 rounds)")
    print(f"   plain single-row insert   {plain * 1e6:8.0f} µs/insert")
    print(f"   audit.record()            {rec * 1e6:8.0f} µs/insert   ratio {rec / plain:.2f}x  (target ≤ 1.3x)")
    # The same inside one transaction: no commit per insert, so the disk's fsync (which dominates
    # above and varies with the machine's load) drops out and the statement plus Python cost remains.
    from django.db import transaction

    rounds = {"plain": [], "raw": [], "record": []}
    for _ in range(5):
        with transaction.atomic():
            rounds["plain"].append(_timed(_many, _one_plain, model, n // 5) / (n // 5))
        with transaction.atomic():
            rounds["raw"].append(_timed(_many, _one_raw, None, n // 5) / (n // 5))
        with transaction.atomic():
            rounds["record"].append(_timed(_many, _one_record_for, None, n // 5) / (n // 5))
    plain, raw, rec = (statistics.median(rounds[k]) for k in ("plain", "raw", "record"))
    print("   the same inside one transaction per round (no commit per insert):")
    print(f"   plain single-row insert   {plain * 1e6:8.0f} µs/insert")
    print(f"   raw INSERT (cursor)       {raw * 1e6:8.0f} µs/insert")
    print(
        f"   audit.record()            {rec * 1e6:8.0f} µs/insert   ratio {rec / plain:.2f}x the ORM insert, {rec / raw:.2f}x the raw one"
    )
    per = max(n // 16, 100)
    results: dict[str, list[tuple[float, int, int]]] = {"plain": [], "record": []}
    for _ in range(3):  # alternate, so load from anything else on the machine hits both alike
        for kind in ("plain", "record"):
            results[kind].append(_concurrent(kind, per, db_name))
    for kind, label in (("plain", "plain single-row insert"), ("record", "audit.record()")):
        rate = statistics.median(r[0] for r in results[kind])
        waits, samples = sum(r[1] for r in results[kind]), sum(r[2] for r in results[kind])
        print(
            f"   16 writers, {label:<24} {rate:8.0f} inserts/s (median of 3)   lock waits in {waits} of {samples} samples"
        )
    ratio = statistics.median(r[0] for r in results["plain"]) / statistics.median(r[0] for r in results["record"])
    print(f"   16 writers: record() costs {ratio:.2f}x a plain insert (target ≤ 1.3x)")


def _sample_lock_waits(db_name: str, stop: threading.Event, counts: list[int]) -> None:
    import psycopg

    with psycopg.connect(_dsn(db_name), autocommit=True) as conn:
        while not stop.is_set():
            row = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock'", [db_name]
            ).fetchone()
            counts[0] += row[0] if row else 0
            counts[1] += 1
            time.sleep(0.01)


def _concurrent(kind: str, per: int, db_name: str) -> tuple[float, int, int]:
    from django.db import connections

    connections.close_all()
    fork = multiprocessing.get_context("fork")
    start = fork.Event()
    workers = [fork.Process(target=_writer, args=(kind, per, start)) for _ in range(16)]
    for w in workers:
        w.start()
    time.sleep(1.0)  # let them start
    stop, counts = threading.Event(), [0, 0]
    sampler = threading.Thread(target=_sample_lock_waits, args=(db_name, stop, counts))
    sampler.start()
    began = time.perf_counter()
    start.set()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - began
    stop.set()
    sampler.join()
    return 16 * per / elapsed, counts[0], counts[1]


def _dsn(db_name: str) -> str:
    from django.db import connection

    s = connection.settings_dict
    return f"host={s['HOST'] or '127.0.0.1'} port={s['PORT'] or 5432} user={s['USER']} dbname={db_name}"


def _load() -> str:
    one, five, _fifteen = os.getloadavg()
    return f"load average {one:.1f}/{five:.1f} on {os.cpu_count()} cores"


def fill(n: int) -> None:
    """N committed, unsealed events, written in bulk (server-side), shaped like real ones."""
    from django.db import connection

    with connection.cursor() as cursor:
        for lo in range(0, n, 100_000):
            hi = min(n, lo + 100_000)
            cursor.execute(
                """
                INSERT INTO audit_auditevent (created_at, event_type, actor_kind, actor_id, actor_label, subject_type,
                    subject_id, data, request_id, ip, user_agent)
                SELECT now() - make_interval(secs => %s - g), 'validity.query', 'api_key', 'key-' || (g %% 97),
                    'recipient ' || (g %% 97) || ' 受領者', 'delegations.delegation', 'DLG' || g,
                    jsonb_build_object('answer', 'valid', 'n', g, 'digest_matches', g %% 2 = 0),
                    md5(g::text), '198.51.100.' || (g %% 250), 'curl/8.5.0'
                FROM generate_series(%s, %s) AS g
                """,
                [n, lo + 1, hi],
            )


def bench_seal_verify(n: int) -> None:
    from django.conf import settings
    from django.db import connection

    from audit.models import AuditEvent
    from audit.sealing import ROW_FIELDS, seal_pending
    from audit.verify import verify_chain

    began = time.perf_counter()
    fill(n)
    print(f"   (filled {n} events in {time.perf_counter() - began:.1f} s)")
    began = time.perf_counter()
    rows = sum(1 for _ in AuditEvent.objects.values_list(*ROW_FIELDS).iterator(chunk_size=settings.AUDIT_SEAL_BATCH))
    read = time.perf_counter() - began
    began, cpu = time.perf_counter(), time.process_time()
    result = seal_pending()
    sealed, sealed_cpu = time.perf_counter() - began, time.process_time() - cpu
    print(f"2. sealing a backlog of {rows} events (batches of {settings.AUDIT_SEAL_BATCH})")
    print(f"   baseline: read the rows      {read:7.1f} s  {rows / read:9.0f} rows/s")
    print(
        f"   seal_pending()               {sealed:7.1f} s  {result.sealed / sealed:9.0f} events/s  (target ≥ 5,000/s)"
    )
    print(
        f"   (sealer process CPU {sealed_cpu:.1f} s: {result.sealed / sealed_cpu:.0f} events per CPU-second; {_load()})"
    )
    began = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), max(length(e.data::text)) FROM audit_auditseal s JOIN audit_auditevent e ON e.id = s.event_id"
        )
    join = time.perf_counter() - began
    began, cpu = time.perf_counter(), time.process_time()
    report = verify_chain()
    verified, verified_cpu = time.perf_counter() - began, time.process_time() - cpu
    print(f"3. audit_verify over {report.entries} sealed events, {report.checkpoints} checkpoints: ok={report.ok}")
    print(f"   baseline: SQL join of seals and events   {join:7.1f} s")
    print(f"   verify_chain(), one process              {verified:7.1f} s  {report.entries / verified:9.0f} events/s")
    print(
        f"   (process CPU {verified_cpu:.1f} s: {report.entries / verified_cpu:.0f} events per CPU-second; {_load()})"
    )
    workers = os.cpu_count() or 1
    began = time.perf_counter()
    report = verify_chain(workers=workers)
    verified = time.perf_counter() - began
    print(
        f"   verify_chain(workers={workers}) (audit_verify)  {verified:7.1f} s  {report.entries / verified:9.0f} events/s"
        f"  ok={report.ok}  (target 1M ≤ 20 s)"
    )


def bench_export(n: int, db_name: str, out_dir: Path) -> None:
    out = out_dir / "bench-export.zip"
    env = {**os.environ, "BENCH_DB": db_name, "BENCH_OUT": str(out)}
    child = subprocess.run(
        [sys.executable, __file__, "--export-child"], env=env, capture_output=True, text=True, check=False
    )
    print(f"4. export of {n} events (CSV in a ZIP, streamed to a file)")
    if child.returncode:
        print("   export failed:\n" + child.stderr[-3000:])
        return
    print("   " + child.stdout.strip().replace("\n", "\n   "))


def export_child() -> None:
    _setup()
    from django.db import connection

    import audit
    from audit.export import Filters
    from audit.services import stream_export

    connection.settings_dict["NAME"] = os.environ["BENCH_DB"]
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    began = time.perf_counter()
    plan, chunks = stream_export(Filters(), "csv", actor=audit.SYSTEM)
    written, early = 0, 0
    with open(os.environ["BENCH_OUT"], "wb") as fh:
        for chunk in chunks:
            fh.write(chunk)
            written += len(chunk)
            if not early and written > 1_000_000 * max(plan.count // 100_000, 1):
                early = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    elapsed = time.perf_counter() - began
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"{plan.count} events, {written / 1e6:.1f} MB in {elapsed:.1f} s ({plan.count / elapsed:.0f} events/s)")
    print(
        f"peak RSS: before export {baseline / 1024:.0f} MB, early in the export {early / 1024:.0f} MB, at the end {peak / 1024:.0f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--full", action="store_true", help="1,000,000 events (the issue's figures)")
    parser.add_argument("--events", type=int, help="number of events for sealing, verify and export")
    parser.add_argument("--inserts", type=int, default=5000, help="inserts for the record() comparison")
    parser.add_argument("--export-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.export_child:
        export_child()
        return
    n = args.events or (1_000_000 if args.full else 50_000)
    os.environ.setdefault("AUDIT_SEALER", "off")
    _setup()
    import tempfile

    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("bench/audit_log.py needs PostgreSQL: set DATABASE_URL=postgres://…")
    old_name = connection.settings_dict["NAME"]
    db_name = f"bench_audit_{os.getpid()}"
    connection.settings_dict.setdefault("TEST", {})["NAME"] = db_name
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            from django.conf import settings

            settings.AUDIT_CHECKPOINT_KEY_PATH = str(Path(tmp) / "key.pem")
            os.environ["AUDIT_CHECKPOINT_KEY_PATH"] = settings.AUDIT_CHECKPOINT_KEY_PATH
            print(f"PostgreSQL, {os.cpu_count()} cores; database {db_name}; {_load()}")
            bench_record(args.inserts, db_name)
            bench_seal_verify(n)
            bench_export(n, db_name, Path(tmp))
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
