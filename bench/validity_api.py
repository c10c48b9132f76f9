"""Validity API speed (issue 7), beside three baselines served by the same gunicorn in the same run.

    .venv/bin/python bench/validity_api.py [--workers 4] [--duration 3] [--rounds 12] [--seed N] [--connections 32]

Needs PostgreSQL (DATABASE_URL's server; works in its own database ``mynatrust_valbench`` or BENCH_DATABASE, created,
migrated and dropped here), Redis on 127.0.0.1:6379 (db 3 is used and flushed) and wrk. gunicorn
runs the production settings (MYNATRUST_PRODUCTION=true) with 4 sync workers by default; wrk loads it
with 2 threads and 32 connections on the same machine. Figures: requests/s, p50, p99, non-2xx, and
the CPU time the serving side spent per request (gunicorn's workers, their PostgreSQL backends and the
Redis server, read from /proc around each run). Requests/s on a machine shared with other work moves
with that work; CPU per request hardly does, and where the processor is what runs out (wrk, gunicorn
and PostgreSQL on the same few cores) its ratio to the SELECT baseline's is the capacity ratio.
Workers are not recycled and database connections kept during the bench, so no process's CPU time is
lost from the count.

Baselines: a bare Django JSON view; one indexed SELECT; SELECT + one INSERT (an audit event); the
same read and INSERT as one statement (a data-modifying CTE, in autocommit: one round trip and one
durable commit, the least a recorded answer can cost).
Measured: the validity API (key check, per-address and per-key limits and penalty, the delegation's
read, its audit event) answering JSON and as a signed answer (ES256 JWS) about a stored, valid
delegation; and the JSON answer for IDs nobody stored (``unknown``: one more Redis round trip, to
count unknown IDs against enumeration). The audit sealer is off in all scenarios (the baseline's
INSERT is not sealed either); production runs it as its own process (``audit_seal --loop``).

The database's ceiling: pgbench (prepared, durable commit) runs the answer's one statement exactly as
the API sends it (captured from a real answer with its values: the delegation's read, the key's
check, the audit INSERT) with 8, 16 and 32 clients, in rounds after the HTTP ones; the table prints its
answers/s beside the API's, the CPU each side spends per answer (the PostgreSQL backends against
pgbench or the application) and answers/s per core of each. With ``--before DIR`` (a checkout of
earlier code) a third gunicorn serves the API scenarios from it, in the same rounds, on the same
database: old code against new in one run.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.procs import children, cpu_seconds, machine_busy_seconds  # noqa: E402

PY = sys.executable
DB = os.environ.get("BENCH_DATABASE", "mynatrust_valbench")  # its own name: two benches at once never share one


def _env(base_url: str, key_file: Path) -> dict[str, str]:
    server = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/mynatrust").rsplit("/", 1)[0]
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.validity_settings",
        "PYTHONPATH": str(ROOT),
        "MYNATRUST_PRODUCTION": "true",
        "DEMO_MODE": "false",
        "SECRET_KEY": "bench-only-" + "x" * 50,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": f"{server}/{DB}",
        "CACHE_URL": "rediscache://127.0.0.1:6379/3",
        "SECURE_SSL_REDIRECT": "false",
        "AUDIT_SEALER": "off",
        "EMAIL_SMTP": "false",  # set-up mails (an application) go to the console
        "VALIDITY_SIGNING_KEY_FILE": str(key_file),
        "VALIDITY_RATE_PER_KEY": "100000000/60",
        "VALIDITY_RATE_PER_IP": "100000000/60",
        "VALIDITY_UNKNOWN_LIMIT": "100000000/60",
        "GUNICORN_ACCESS_LOG": "-",  # to /dev/null below
        "LOG_LEVEL": "WARNING",
        "SERVICE_BASE_URL": base_url,
        "GUNICORN_MAX_REQUESTS": "0",  # no recycled worker takes its CPU time out of the count
        "DB_CONN_MAX_AGE": "3600",
    }


def _manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return done.stdout


SETUP = """
from conftest import make_user
from validity import services
from validity.models import RecipientMember, RecipientOrganisation
user = make_user("bench@recipient.example.jp", "recipient")
org = RecipientOrganisation.objects.create(name="ベンチ株式会社", address="東京都", representative_name="a",
    representative_address="b", declarant_name="c", status="approved")
RecipientMember.objects.create(organisation=org, user=user, role="applicant")
key, plaintext = services.create_api_key(org, label="bench", actor=user)
from datetime import date, datetime, timedelta
from mynatrust.lib import delegation_id as ids
from validity.tests.conftest import facts, store_delegation
stored = facts(ids.generate(), valid_from=date.today(), valid_until=date.today() + timedelta(days=365))
store_delegation(stored, make_user("bench@subscriber.example.jp", "subscriber"))
# The answer's one statement exactly as the API runs it (read, key guard, audit INSERT), captured
# with its values and written out with them inlined, for pgbench.
import os
import psycopg
from django.db import connection
from validity import auth
captured = []
def capture(execute, sql, params, many, context):
    if "INSERT INTO audit_auditevent" in sql:
        captured.append((sql, params))
    return execute(sql, params, many, context)
with connection.execute_wrapper(capture):
    services.answer_query(stored.delegation_id, sha256=None, organisation=key.organisation, actor=key,
        channel="api", guard=auth.KeyGuard(key), declared_only=True)
sql, params = captured[-1]
with psycopg.connect(os.environ["DATABASE_URL"]) as raw:
    literal = psycopg.ClientCursor(raw).mogrify(sql, params)
# pgbench reads ":name" as its variable: instants go in as epoch seconds, which have no colon.
import re
literal = re.sub(r"'([^']*)'::timestamptz", lambda m: "to_timestamp(%r)" % datetime.fromisoformat(m.group(1)).timestamp(), literal)
with open(os.environ["BENCH_ANSWER_SQL"], "w") as out:
    out.write(literal.replace("\\n", " ") + ";\\n")
print(stored.delegation_id)
print(plaintext)
"""


def _psql(sql: str) -> str:
    """One query's rows, unaligned (psql -At), on the bench database."""
    done = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", DB, "-Atc", sql], check=True, capture_output=True, text=True
    )
    return done.stdout


def _backends() -> list[int]:
    out = _psql("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
    return [int(line) for line in out.split()]


def _redis_pid() -> int:
    out = subprocess.run(["redis-cli", "INFO", "server"], check=True, capture_output=True, text=True).stdout
    return int(re.search(r"process_id:(\d+)", out).group(1))  # type: ignore[union-attr]


PARTS = ("gunicorn", "postgres", "redis")


class _Serving:
    """CPU time of the serving side: gunicorn (master, workers, reaped workers), the PostgreSQL
    backends of the bench database, the Redis server."""

    def __init__(self, gunicorn: int) -> None:
        self.gunicorn, self.redis = gunicorn, _redis_pid()

    def sample(self) -> dict[tuple[str, int], float]:
        times = {
            ("gunicorn", self.gunicorn): cpu_seconds(self.gunicorn, reaped_children=True),
            ("redis", self.redis): cpu_seconds(self.redis),
        }
        times.update({("gunicorn", pid): cpu_seconds(pid) for pid in children(self.gunicorn)})
        times.update({("postgres", pid): cpu_seconds(pid) for pid in _backends()})
        return times

    @staticmethod
    def spent(before: dict[tuple[str, int], float], after: dict[tuple[str, int], float]) -> dict[str, float]:
        # A process that ended in between is left out: workers are not recycled here and the
        # backends stay connected, so none does.
        parts = dict.fromkeys(PARTS, 0.0)
        for (part, pid), seconds in after.items():
            parts[part] += seconds - before.get((part, pid), 0.0)
        return parts


def _wrk(url: str, args: argparse.Namespace, *headers: str, serving: _Serving | None = None) -> dict[str, float]:
    cmd = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s", "--latency"]
    for header in headers:
        cmd += ["-H", header]
    before = serving.sample() if serving else {}
    machine, client, began = machine_busy_seconds(), _children_seconds(), time.monotonic()
    out = subprocess.run([*cmd, url], check=True, capture_output=True, text=True).stdout
    machine, client = machine_busy_seconds() - machine, _children_seconds() - client
    busy = machine / ((time.monotonic() - began) * (os.cpu_count() or 1))
    cpu = serving.spent(before, serving.sample()) if serving else {}

    def latency(label: str) -> float:
        match = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)", out, re.M)
        if not match:
            return float("nan")
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    total = re.search(r"(\d+) requests in", out)
    requests = int(total.group(1)) if total else 0
    requests = requests or 1
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {
        "rps": rps,
        "p50": latency("50"),
        "p99": latency("99"),
        "non2xx": float(non2xx.group(1)) if non2xx else 0.0,
        "socket_errors": 0.0 if not errors else 1.0,
        **{f"cpu_{part}": cpu.get(part, float("nan")) * 1000 / requests for part in PARTS},
        "cpu_ms": sum(cpu.values(), 0.0) * 1000 / requests if cpu else float("nan"),
        "cpu_wrk": client * 1000 / requests,
        "cpu_rest": (machine - client - sum(cpu.values(), 0.0)) * 1000 / requests if cpu else float("nan"),
        "cpu_machine": machine * 1000 / requests,
        "busy": busy,
    }


def _children_seconds() -> float:
    """CPU time of this process's finished children (wrk, once it has been waited for)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


CLIENTS = (8, 16, 32)


def _event_bytes() -> tuple[int, int]:
    """The audit table's size on disk (with its indexes) and its number of events."""
    out = _psql("SELECT pg_total_relation_size('audit_auditevent'), count(*) FROM audit_auditevent").strip()
    size, _, count = out.partition("|")
    return int(size), int(count)


def _pgbench_sample(pgbench: int) -> tuple[float, int, dict[str, float]]:
    """The time, the last audit event's id and the CPU seconds of pgbench and of its backends."""
    out = _psql(
        # Every backend of the bench database, as for the API (autovacuum of the audit table too).
        "SELECT (SELECT max(id) FROM audit_auditevent), string_agg(pid::text, ' ') FROM pg_stat_activity"
        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
    ).strip()
    last, _, pids = out.partition("|")
    cpu = {f"pg{pid}": cpu_seconds(int(pid)) for pid in pids.split()}
    return time.monotonic(), int(last or 0), {**cpu, "client": cpu_seconds(pgbench)}


def _pgbench(script: Path, clients: int, args: argparse.Namespace, options: str = "") -> dict[str, float]:
    """The answer's statement alone, ``clients`` connections of pgbench (prepared, durable commit):
    answers/s and CPU per answer counted in the middle of the run (the connections are open), the
    answers from the audit events written meanwhile."""
    cmd = ["pgbench", "-h", "127.0.0.1", "-U", "postgres", "-n", "-M", "prepared", "-f", str(script)]
    cmd += ["-c", str(clients), "-j", str(args.threads), "-T", str(args.duration), DB]
    env = {**os.environ, "PGOPTIONS": options} if options else None
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    time.sleep(1.0)
    t0, first, cpu0 = _pgbench_sample(proc.pid)
    time.sleep(max(1.0, args.duration - 2.0))
    t1, last, cpu1 = _pgbench_sample(proc.pid)
    out, err = proc.communicate(timeout=args.duration + 120)
    if proc.returncode:
        raise SystemExit(f"pgbench failed:\n{err[-2000:]}")
    answers = max(1, last - first)
    db = sum(seconds - cpu0.get(name, 0.0) for name, seconds in cpu1.items() if name != "client")
    latency = re.search(r"latency average = ([\d.]+) ms", out)
    return {
        "rps": answers / (t1 - t0),
        "p50": float(latency.group(1)) if latency else float("nan"),  # pgbench's mean, not a median
        "p99": float("nan"),
        "non2xx": 0.0,
        "socket_errors": 0.0,
        "cpu_gunicorn": 0.0,
        "cpu_postgres": db * 1000 / answers,
        "cpu_redis": 0.0,
        "cpu_client": (cpu1["client"] - cpu0["client"]) * 1000 / answers,
        "cpu_ms": db * 1000 / answers,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--duration", type=int, default=3, help="seconds of wrk per scenario and round")
    parser.add_argument("--rounds", type=int, default=12, help="rounds of every HTTP scenario; medians are reported")
    parser.add_argument(
        "--seed",
        type=int,
        default=None,
        help="the order of the scenarios in each round, shuffled (printed; random by default)",
    )
    parser.add_argument("--fixed-order", action="store_true", help="every round in the listed order, not shuffled")
    parser.add_argument("--ceiling-rounds", type=int, default=3, help="rounds of pgbench, after the HTTP rounds")
    parser.add_argument("--ceiling-duration", type=int, default=6, help="seconds of each pgbench run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--port", type=int, default=8791)
    parser.add_argument(
        "--commit-diagnostic",
        action="store_true",
        help="also serve from a second gunicorn whose database sessions do not wait for the WAL flush at "
        "commit (synchronous_commit=off: a diagnosis of what the flush costs, never a production setting)",
    )
    parser.add_argument(
        "--before",
        type=Path,
        help="a checkout of earlier code (e.g. `git archive <commit> | tar -x -C DIR`), served by a third "
        "gunicorn on --port + 2 from the same database: the API scenarios run against it too, in the same rounds",
    )
    parser.add_argument(
        "--commit-delay",
        type=int,
        default=0,
        help="also run the CTE view, the JSON answer and pgbench at 16 and 32 clients with sessions that set this "
        "commit_delay (µs; group commit: PostgreSQL's superuser setting, in production postgresql.conf)",
    )
    parser.add_argument("--commit-siblings", type=int, default=1, help="commit_siblings with --commit-delay")
    args = parser.parse_args()
    base = f"http://127.0.0.1:{args.port}"
    with tempfile.TemporaryDirectory() as tmp:
        key_file = Path(tmp) / "answer-key.pem"
        env = _env(base, key_file)
        script = Path(tmp) / "answer.sql"
        env["BENCH_ANSWER_SQL"] = str(script)
        subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", DB], check=True)
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", DB], check=True)
        subprocess.run(["redis-cli", "-n", "3", "FLUSHDB"], check=True, capture_output=True)
        try:
            _manage(env, "migrate", "-v0", "--skip-checks")  # the bench has no audit checkpoint key
            _manage(env, "validity_signing_key", "create", str(key_file))
            delegation_id, plaintext = _manage(env, "shell", "-c", SETUP).strip().splitlines()[-2:]
            servers = {base: _serve(env, args.port, args.workers, Path(tmp) / "gunicorn.log")}
            variants = _variants(args, env)
            for root, (variant_env, cwd, _scenarios) in variants.items():
                servers[root] = _serve(
                    variant_env, int(root.rpartition(":")[2]), args.workers, _log(tmp, root), cwd=cwd
                )
            try:
                for root in servers:
                    _wait(f"{root}/bench/bare", _log(tmp, root))
                auth = f"Authorization: Bearer {plaintext}"
                api = f"{base}/api/v1/delegations/{delegation_id}/validity"
                unknown = f"{base}/api/v1/delegations/7K3Q-9XWA-2M4P-HJ/validity"
                urls = {
                    "cte": (f"{base}/bench/cte", ()),
                    "select-insert": (f"{base}/bench/select-insert", ()),
                    "json": (api, (auth,)),
                    "jws": (api, (auth, "Accept: application/jose")),
                    "unknown": (unknown, (auth,)),
                }
                runs = [
                    ("bare JSON view", f"{base}/bench/bare", ()),
                    ("one indexed SELECT", f"{base}/bench/select", ()),
                    ("SELECT + INSERT", *urls["select-insert"]),
                    ("one CTE (read + INSERT)", *urls["cte"]),
                    ("validity API (JSON)", *urls["json"]),
                    ("validity API (JWS)", *urls["jws"]),
                    ("API, unknown ID (JSON)", *urls["unknown"]),
                ]
                ceiling = [(f"pgbench -c{n}: statement", f"pgbench:{n}") for n in CLIENTS]
                for root, (_, _, scenarios) in variants.items():
                    for label, name in scenarios:
                        if name.startswith("pgbench:"):
                            ceiling.append((label, name))
                        else:
                            url, headers = urls[name]
                            runs.append((label, url.replace(base, root), headers))
                _expect_status(api, plaintext, "valid")
                _expect_status(unknown, plaintext, "unknown")
                for _label, url, headers in runs[:1]:
                    _wrk(url, argparse.Namespace(**{**vars(args), "duration": 2}), *headers)  # warm up
                serving = {root: _Serving(server.pid) for root, server in servers.items()}
                rounds = _http_rounds(runs, args, serving)
                rounds.update(_ceiling_rounds(ceiling, script, args))
                results = {label: _median(samples) for label, samples in rounds.items()}
                stored_bytes = _event_bytes()
            finally:
                for server in servers.values():
                    server.terminate()
                    server.wait(timeout=30)
        finally:
            subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", "--force", DB], check=False)
    select = results["one indexed SELECT"]["rps"]
    print(
        f"gunicorn {args.workers} sync workers, wrk -t{args.threads} -c{args.connections} -d{args.duration}s, "
        f"median of {args.rounds} rounds, {_order(args)}; pgbench {args.ceiling_rounds} rounds of "
        f"{args.ceiling_duration}s after them; 1-minute load average at the end: {os.getloadavg()[0]:.1f}"
    )
    select_cpu = results["one indexed SELECT"]["cpu_ms"]
    print(
        f"{'':<24}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'non-2xx':>9}{'vs SELECT':>11}"
        f"{'CPU ms/req':>12}{'capacity vs SELECT':>20}"
    )
    for label, r in results.items():
        if label.startswith("pgbench"):
            continue  # in the ceiling table below
        print(
            f"{label:<24}{r['rps']:>10.0f}{r['p50']:>9.2f}{r['p99']:>9.2f}{r['non2xx']:>9.0f}{r['rps'] / select:>10.0%}"
            f"{r['cpu_ms']:>12.2f}{select_cpu / r['cpu_ms']:>19.0%}"
        )
    columns = (*PARTS, "wrk", "rest", "machine")
    print(f"\n{'CPU ms per request':<24}" + "".join(f"{part:>10}" for part in columns) + f"{'busy':>7}")
    for label, r in results.items():
        if not label.startswith("pgbench"):
            print(f"{label:<24}" + "".join(f"{r[f'cpu_{part}']:>10.2f}" for part in columns) + f"{r['busy']:>7.0%}")
    print(
        "CPU ms/req: gunicorn workers + their PostgreSQL backends + Redis, per request served; capacity vs "
        "SELECT: the SELECT baseline's CPU per request over the scenario's (its requests/s ratio where the "
        "processor is what runs out). wrk: the load generator; rest: everything else the machine's processors "
        "did meanwhile (PostgreSQL's WAL writer, checkpointer and autovacuum, the kernel's I/O work; any other "
        "load on the machine); machine: all of it, busy time of every processor per request; busy: the share of the "
        "processors' time that was busy during the run (below 100%: the processors waited, for the disk or for work)"
    )
    _print_ceiling(results, args)
    _print_goals(results, rounds)
    print(
        f"audit table after the run: {stored_bytes[1]:,} events, {stored_bytes[0] / max(1, stored_bytes[1]):.0f} bytes "
        "per event (table, TOAST and indexes; not yet sealed)"
    )
    _print_rounds(rounds)
    if args.commit_diagnostic:
        print("* served with synchronous_commit=off: commits do not wait for the WAL flush (diagnosis only)")
    if args.commit_delay:
        print(
            f"+ sessions with commit_delay={args.commit_delay} µs and commit_siblings={args.commit_siblings}: the "
            "flushing backend waits that long first when that many other transactions are open (group commit)"
        )


def _order(args: argparse.Namespace) -> str:
    return (
        "every round in the listed order" if args.fixed_order else f"each round in its own order (--seed {args.seed})"
    )


def _http_rounds(
    runs: list[tuple[str, str, tuple[str, ...]]], args: argparse.Namespace, serving: dict[str, _Serving]
) -> dict[str, list[dict[str, float]]]:
    """Every HTTP scenario once per round, each round in a shuffled order of its own.

    The machine's speed moves by tens of per cent within seconds (other guests on the same host),
    so each figure is the median of many short runs, and no scenario always runs at the same place
    in a round (after the same writes, at the same moment of a checkpoint): the goals compare each
    scenario with its baseline round by round (:func:`_paired`)."""
    if args.seed is None:
        args.seed = random.randrange(10_000)
    rng = random.Random(args.seed)
    rounds: dict[str, list[dict[str, float]]] = {label: [] for label, _u, _h in runs}
    for _round in range(args.rounds):
        for label, url, headers in runs if args.fixed_order else rng.sample(runs, len(runs)):
            root = url.split("/bench/")[0].split("/api/")[0]
            rounds[label].append(_wrk(url, args, *headers, serving=serving[root]))
    return rounds


def _ceiling_rounds(
    ceiling: list[tuple[str, str]], script: Path, args: argparse.Namespace
) -> dict[str, list[dict[str, float]]]:
    """pgbench with the answer's statement, after the HTTP rounds: its thousands of writes a second
    would otherwise leave their checkpoint and vacuum work to whichever scenario came next."""
    timed = argparse.Namespace(**{**vars(args), "duration": args.ceiling_duration})
    rounds: dict[str, list[dict[str, float]]] = {label: [] for label, _what in ceiling}
    for _round in range(args.ceiling_rounds):
        for label, what in ceiling:
            _kind, clients, *options = what.split(":", 2)
            rounds[label].append(_pgbench(script, int(clients), timed, "".join(options)))
    return rounds


def _variants(
    args: argparse.Namespace, env: dict[str, str]
) -> dict[str, tuple[dict[str, str], Path, list[tuple[str, str]]]]:
    """The servers beside the main one, by root URL: their environment, working directory and the
    scenarios (label, what) they serve in the same rounds."""
    variants: dict[str, tuple[dict[str, str], Path, list[tuple[str, str]]]] = {}
    if args.commit_diagnostic:
        no_flush = {**env, "DATABASE_URL": env["DATABASE_URL"] + "?options=-c%20synchronous_commit%3Doff"}
        scenarios = [("SELECT + INSERT *", "select-insert"), ("validity API (JSON) *", "json")]
        variants[f"http://127.0.0.1:{args.port + 1}"] = (no_flush, ROOT, scenarios)
    if args.before:
        earlier = {**env, "PYTHONPATH": str(args.before.resolve())}
        scenarios = [("before: API (JSON)", "json"), ("before: API (JWS)", "jws"), ("before: unknown ID", "unknown")]
        variants[f"http://127.0.0.1:{args.port + 2}"] = (earlier, args.before.resolve(), scenarios)
    if args.commit_delay:
        options = f"-c commit_delay={args.commit_delay} -c commit_siblings={args.commit_siblings}"
        grouped = {**env, "DATABASE_URL": env["DATABASE_URL"] + "?options=" + urllib.parse.quote(options)}
        scenarios = [("one CTE (read + INSERT) +", "cte"), ("validity API (JSON) +", "json")]
        scenarios += [(f"pgbench -c{n}: statement +", f"pgbench:{n}:{options}") for n in CLIENTS[1:]]
        variants[f"http://127.0.0.1:{args.port + 3}"] = (grouped, ROOT, scenarios)
    return variants


def _log(tmp: str, root: str) -> Path:
    return Path(tmp) / f"gunicorn-{root.rpartition(':')[2]}.log"


def _print_ceiling(results: dict[str, dict[str, float]], args: argparse.Namespace) -> None:
    """The database's own ceiling for the answer's statement beside the Django path, with the CPU
    each side spends per answer and its share, and answers/s per core of each side."""
    print(
        f"\n{'database ceiling':<24}{'answers/s':>10}{'lat ms':>8}{'DB CPU':>9}{'other CPU':>11}"
        f"{'DB share':>10}{'per DB core':>13}{'per app core':>14}"
    )
    for label, r in results.items():
        if label.startswith("pgbench"):
            other, what = r["cpu_client"], "pgbench"
        elif label.startswith(("validity API (J", "API, unknown", "before:")):
            other, what = r["cpu_gunicorn"] + r["cpu_redis"], "app"
        else:
            continue
        db = r["cpu_postgres"]
        if not db or not other:
            print(f"{label:<24}{r['rps']:>10.0f}{r['p50']:>8.2f}  (no CPU counted: a run too short to sample)")
            continue
        per_app = f"{1000 / other:>14.0f}" if what == "app" else f"{'':>14}"
        print(
            f"{label:<24}{r['rps']:>10.0f}{r['p50']:>8.2f}{db:>9.2f}{other:>11.2f}{db / (db + other):>10.0%}"
            f"{1000 / db:>13.0f}{per_app}"
        )
    print(
        f"pgbench -M prepared -j{args.threads} with the answer's statement exactly (the delegation's read, the key's "
        "check, the audit INSERT; durable commit), its answers counted from the audit events written; "
        "lat: pgbench's mean latency, the API's p50. CPU in ms per answer: DB = the PostgreSQL backends; "
        "other = pgbench (a client that does nothing else) or the application (gunicorn workers + "
        "Redis); per core: 1000 / those ms"
    )


GOALS = (
    # (goal's number, label, scenario, its baseline, kind of figure, target)
    ("1", "JSON answer: capacity vs one SELECT", "validity API (JSON)", "one indexed SELECT", "capacity", 1.00),
    ("1", "JSON answer: CPU vs one CTE", "validity API (JSON)", "one CTE (read + INSERT)", "cpu", 1.10),
    ("1", "unknown ID: capacity vs one SELECT", "API, unknown ID (JSON)", "one indexed SELECT", "capacity", 1.00),
    ("1", "unknown ID: CPU vs one CTE", "API, unknown ID (JSON)", "one CTE (read + INSERT)", "cpu", 1.10),
    ("2", "signed answer: capacity vs one SELECT", "validity API (JWS)", "one indexed SELECT", "capacity", 0.90),
    ("3", "JSON answer: p99 vs one SELECT's", "validity API (JSON)", "one indexed SELECT", "p99", 1.00),
)


BEFORE = {
    "validity API (JSON)": "before: API (JSON)",
    "validity API (JWS)": "before: API (JWS)",
    "API, unknown ID (JSON)": "before: unknown ID",
}


def _paired(kind: str, scenario: list[dict[str, float]], baseline: list[dict[str, float]]) -> list[float]:
    """The goal's ratio in each round, the scenario beside its baseline of the same round: capacity =
    the baseline's CPU per request over the scenario's; cpu = the scenario's over the baseline's;
    p99 = the scenario's p99 over the baseline's."""
    if kind == "capacity":
        return [b["cpu_ms"] / s["cpu_ms"] for s, b in zip(scenario, baseline, strict=True)]
    key = "cpu_ms" if kind == "cpu" else "p99"
    return [s[key] / b[key] for s, b in zip(scenario, baseline, strict=True)]


def _goal(
    kind: str, scenario: list[dict[str, float]], baseline: list[dict[str, float]], target: float
) -> tuple[str, str, bool]:
    """One goal's figure (the median of its ratio over the rounds, with the rounds that met it), its
    baseline's median and whether it is met."""
    ratios = _paired(kind, scenario, baseline)
    ratio = statistics.median(ratios)
    higher = kind == "capacity"
    met = ratio >= target if higher else ratio <= target
    rounds = sum(1 for r in ratios if (r >= target if higher else r <= target))
    key = "p99" if kind == "p99" else "cpu_ms"
    own, base = statistics.median(s[key] for s in scenario), statistics.median(b[key] for b in baseline)
    shown = f"{ratio:.1%}" if higher else f"{ratio:.3f}×"  # enough digits that "met" never looks rounded
    return f"{shown} {rounds:>2}/{len(ratios)} ({own:.2f} ms)", f"{base:.2f} ms", met


def _print_goals(results: dict[str, dict[str, float]], rounds: dict[str, list[dict[str, float]]]) -> None:
    """Goals 1–4 of the validity answer in one table, each beside its baseline of this run (and the
    code served by --before beside it, when there is one)."""
    targets = {"capacity": "≥ {:.0%}", "cpu": "≤ {:.2f}×", "p99": "≤ {:.2f}×"}
    print(f"\n{'goal':<5}{'':<40}{'measured':>26}{'baseline':>12}{'target':>10}{'met':>5}{'before':>26}")
    for number, label, name, base, kind, target in GOALS:
        measured, baseline, met = _goal(kind, rounds[name], rounds[base], target)
        before = rounds.get(BEFORE[name])
        was = _goal(kind, before, rounds[base], target)[0] if before else ""
        print(
            f"{number:<5}{label:<40}{measured:>26}{baseline:>12}{targets[kind].format(target):>10}"
            f"{'yes' if met else 'NO':>5}{was:>26}"
        )
    ceiling = max((r["rps"], label) for label, r in results.items() if label.endswith(": statement"))
    api = results["validity API (JSON)"]
    share = api["cpu_postgres"] / api["cpu_ms"]
    print(
        f"{'4':<5}{'database ceiling: answers/s':<40}{ceiling[0]:>26,.0f}{api['rps']:>12,.0f}{'measured':>10}{'':>5}"
        f"\n{'':<5}(pgbench's best of 8, 16 and 32 clients, at {ceiling[1].split(':')[0].removeprefix('pgbench ')}; beside it the JSON "
        f"answer through the application; the database's share of the answer's CPU: {share:.0%})"
    )
    print(
        "goals: each round's ratio of the scenario to its baseline in the same round, median over the rounds, "
        "with how many rounds met the target and the scenario's own median in ms; capacity = the baseline's CPU "
        "per request over the scenario's; CPU vs one CTE = the scenario's CPU per request over the CTE view's; "
        "p99 = the scenario's p99 over the baseline's; before = the code served by --before, against the same baseline"
    )


def _print_rounds(rounds: dict[str, list[dict[str, float]]]) -> None:
    """Each round's requests/s and capacity over the same round's SELECT baseline, and the p99 of
    each round: the spread of all three, beside the medians above."""
    selects = rounds["one indexed SELECT"]
    print(
        f"\n{'per round vs SELECT':<24}{'req/s: median':>15}{'min':>6}{'max':>6}"
        f"{'capacity: median':>18}{'min':>6}{'max':>6}{'p99 ms: min':>13}{'max':>7}"
    )
    for label, samples in rounds.items():
        if label.startswith("pgbench"):
            continue
        rps = [s["rps"] / b["rps"] for s, b in zip(samples, selects, strict=True)]
        capacity = _paired("capacity", samples, selects)
        p99s = [s["p99"] for s in samples]
        print(
            f"{label:<24}{statistics.median(rps):>15.0%}{min(rps):>6.0%}{max(rps):>6.0%}"
            f"{statistics.median(capacity):>18.0%}{min(capacity):>6.0%}{max(capacity):>6.0%}"
            f"{min(p99s):>13.1f}{max(p99s):>7.1f}"
        )
    print("per round: each round's requests/s and capacity over that round's SELECT baseline, and the spread of p99")


def _serve(env: dict[str, str], port: int, workers: int, log: Path, cwd: Path = ROOT) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [PY, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "mynatrust.wsgi"],
        cwd=cwd,
        env={**env, "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": str(workers)},
        stdout=subprocess.DEVNULL,
        stderr=open(log, "w"),
    )


def _expect_status(url: str, plaintext: str, status: str) -> None:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {plaintext}"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310  (local bench server)
        answered = json.load(response)["status"]
    if answered != status:
        raise SystemExit(f"{url} answered {answered}, not {status}")


def _median(samples: list[dict[str, float]]) -> dict[str, float]:
    return {name: statistics.median(s[name] for s in samples) for name in samples[0]}


def _wait(url: str, log: Path) -> None:
    for _ in range(100):
        try:
            with urllib.request.urlopen(url, timeout=1):  # noqa: S310  (local bench server)
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not come up:\n{log.read_text()[-3000:]}")


if __name__ == "__main__":
    main()
