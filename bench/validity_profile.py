"""CPU per request of the validity answer in one process, beside the baselines, and where it goes.

    .venv/bin/python bench/validity_profile.py [--requests 3000] [--profile "validity API (JSON)"]

Sets up the same database as bench/validity_api.py (``mynatrust_valbench``, created and dropped
here; Redis db 3), then calls the WSGI application in this process (every middleware, no HTTP
server, no network besides PostgreSQL and Redis) ``--requests`` times per scenario, round-robin in
``--rounds`` rounds, and prints the process CPU time per request (median of rounds) beside the
SELECT and CTE baselines; with ``--profile`` it runs that scenario once more under cProfile and
prints the functions that cost the most (own time and cumulative). The database's own CPU is not
counted here: this is the application's share, the part the Python code decides.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import re
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.validity_api import DB, SETUP, _env, _manage  # noqa: E402


def _environ(path: str, headers: dict[str, str]) -> dict[str, Any]:
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8791",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1",
        "HTTP_X_FORWARDED_FOR": "203.0.113.7",
        "HTTP_X_FORWARDED_PROTO": "https",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.version": (1, 0),
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    environ.update({"HTTP_" + name.upper().replace("-", "_"): value for name, value in headers.items()})
    return environ


def _call(app: Any, path: str, headers: dict[str, str], n: int) -> float:
    """CPU seconds of this process per request over ``n`` requests."""
    statuses: list[str] = []

    def start_response(status: str, _headers: Any, _exc: Any = None) -> None:
        statuses.append(status)

    began = time.process_time()
    for _ in range(n):
        for _chunk in app(_environ(path, headers), start_response):
            pass
    spent = time.process_time() - began
    bad = {s for s in statuses if not s.startswith("200")}
    if bad:
        raise SystemExit(f"{path}: {bad}")
    return spent / n


def _scenarios(delegation_id: str, plaintext: str) -> dict[str, tuple[str, dict[str, str]]]:
    auth = {"Authorization": f"Bearer {plaintext}"}
    api = f"/api/v1/delegations/{delegation_id}/validity"
    return {
        "bare JSON view": ("/bench/bare", {}),
        "API stack, fixed body": (f"/api/v1/bench-floor/{delegation_id}/validity", auth),
        "one indexed SELECT": ("/bench/select", {}),
        "one CTE (read + INSERT)": ("/bench/cte", {}),
        "validity API (JSON)": (api, auth),
        "validity API (JWS)": (api, {**auth, "Accept": "application/jose"}),
        "API, unknown ID (JSON)": ("/api/v1/delegations/7K3Q-9XWA-2M4P-HJ/validity", auth),
    }


WARM_UP = 200  # connections, prepared statements (psycopg prepares on the fifth run), caches


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", default="", help="the scenario to profile (a label below)")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--dump", default="", help="also write the profile to this file (pstats)")
    parser.add_argument(
        "--instructions",
        type=int,
        default=0,
        metavar="N",
        help="instead of CPU time, count the instructions of N requests per scenario under valgrind's callgrind",
    )
    parser.add_argument("--child", nargs=2, metavar=("SCENARIO", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(*args.child)
        return
    with tempfile.TemporaryDirectory() as tmp:
        key_file = Path(tmp) / "answer-key.pem"
        env = _env("http://127.0.0.1:8791", key_file)
        env["BENCH_ANSWER_SQL"] = str(Path(tmp) / "answer.sql")
        subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", DB], check=True)
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", DB], check=True)
        subprocess.run(["redis-cli", "-n", "3", "FLUSHDB"], check=True, capture_output=True)
        try:
            _manage(env, "migrate", "-v0", "--skip-checks")
            _manage(env, "validity_signing_key", "create", str(key_file))
            delegation_id, plaintext = _manage(env, "shell", "-c", SETUP).strip().splitlines()[-2:]
            os.environ.update(env)
            if args.instructions:
                _count_instructions(args.instructions, _scenarios(delegation_id, plaintext), delegation_id, plaintext)
            else:
                _measure(args, _scenarios(delegation_id, plaintext))
        finally:
            from django.db import connections

            connections.close_all()
            subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", "--force", DB], check=False)


def _measure(args: argparse.Namespace, scenarios: dict[str, tuple[str, dict[str, str]]]) -> None:
    """CPU time per request of each scenario, rounds interleaved; the profile of one with --profile."""
    from django.core.wsgi import get_wsgi_application

    app = get_wsgi_application()
    for path, headers in scenarios.values():
        _call(app, path, headers, WARM_UP)
    spent: dict[str, list[float]] = {label: [] for label in scenarios}
    for _round in range(args.rounds):
        for label, (path, headers) in scenarios.items():
            spent[label].append(_call(app, path, headers, args.requests))
    select = statistics.median(spent["one indexed SELECT"])
    cte = statistics.median(spent["one CTE (read + INSERT)"])
    print(
        f"{args.requests} requests per scenario and round, {args.rounds} rounds, one process; "
        f"1-minute load average: {os.getloadavg()[0]:.1f}"
    )
    print(f"{'':<26}{'CPU ms/req':>11}{'vs SELECT':>11}{'vs CTE':>9}")
    for label, samples in spent.items():
        ms = statistics.median(samples)
        print(f"{label:<26}{ms * 1000:>11.3f}{ms / select:>10.0%}{ms / cte:>9.0%}")
    if args.profile:
        path, headers = scenarios[args.profile]
        profiler = cProfile.Profile(time.process_time)  # CPU only: waits on the server cost nothing
        profiler.enable()
        _call(app, path, headers, args.requests)
        profiler.disable()
        if args.dump:
            profiler.dump_stats(args.dump)
        for order in ("tottime", "cumulative"):
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(args.top)
            print(out.getvalue())


def _count_instructions(
    n: int, scenarios: dict[str, tuple[str, dict[str, str]]], delegation_id: str, plaintext: str
) -> None:
    """Instructions per request of each scenario, counted by callgrind: a count, not a time, so it
    is the same whatever else the machine does (the CPU time above moves with the machine's speed).
    Each scenario runs in two fresh processes under valgrind, both warmed up alike, one then serving
    ``n`` requests more; the difference over ``n`` is what one request costs this process (Django,
    the middleware, the view, psycopg and redis-py; not PostgreSQL's or Redis's own work). Two
    processes at a time, after one run of each without valgrind (a process that compiles a changed
    module would count the compiling)."""
    env = {**os.environ, "BENCH_DELEGATION_ID": delegation_id, "BENCH_API_KEY": plaintext}
    labels = list(scenarios)
    for label in labels:  # once without valgrind: Python's compiled files written before anything is counted
        subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", label, "0"], env=env, check=True)
    runs = [(label, count) for label in labels for count in (0, n)]
    counts: dict[tuple[str, int], int] = {}
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        for run, count in zip(runs, pool.map(lambda run: _callgrind(env, *run), runs), strict=True):
            counts[run] = count
    per = {label: (counts[label, n] - counts[label, 0]) / n for label in labels}
    select, cte = per["one indexed SELECT"], per["one CTE (read + INSERT)"]
    print(f"instructions per request in one process (callgrind; {n} requests after {WARM_UP} to warm up)")
    print(f"{'':<26}{'instructions':>13}{'vs SELECT':>11}{'vs CTE':>9}")
    for label, each in per.items():
        print(f"{label:<26}{each:>13,.0f}{each / select:>10.0%}{each / cte:>9.0%}")


def _callgrind(env: dict[str, str], label: str, n: int) -> int:
    cmd = ["valgrind", "--tool=callgrind", "--cache-sim=no", "--branch-sim=no", "--callgrind-out-file=/dev/null"]
    cmd += [sys.executable, str(Path(__file__).resolve()), "--child", label, str(n)]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    counted = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode or not counted:
        raise SystemExit(f"callgrind on {label!r} failed:\n{done.stderr[-2000:]}")
    return int(counted.group(1))


def _child(label: str, n: str) -> None:
    """One scenario in this process: warmed up, then ``n`` requests (run under callgrind)."""
    from django.core.wsgi import get_wsgi_application

    app = get_wsgi_application()
    path, headers = _scenarios(os.environ["BENCH_DELEGATION_ID"], os.environ["BENCH_API_KEY"])[label]
    _call(app, path, headers, WARM_UP)
    if int(n):
        _call(app, path, headers, int(n))


if __name__ == "__main__":
    main()
