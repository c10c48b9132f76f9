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
import statistics
import subprocess
import sys
import tempfile
import time
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", default="", help="the scenario to profile (a label below)")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--dump", default="", help="also write the profile to this file (pstats)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        key_file = Path(tmp) / "answer-key.pem"
        env = _env("http://127.0.0.1:8791", key_file)
        env["BENCH_ANSWER_SQL"] = str(Path(tmp) / "answer.sql")
        subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", DB], check=True)
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", DB], check=True)
        subprocess.run(["redis-cli", "-n", "3", "FLUSHDB"], check=True, capture_output=True)
        try:
            _manage(env, "validity_signing_key", "create", str(key_file))
            _manage(env, "migrate", "-v0", "--skip-checks")
            delegation_id, plaintext = _manage(env, "shell", "-c", SETUP).strip().splitlines()[-2:]
            os.environ.update(env)
            from django.core.wsgi import get_wsgi_application

            app = get_wsgi_application()
            auth = {"Authorization": f"Bearer {plaintext}"}
            api = f"/api/v1/delegations/{delegation_id}/validity"
            scenarios = {
                "bare JSON view": ("/bench/bare", {}),
                "one indexed SELECT": ("/bench/select", {}),
                "one CTE (read + INSERT)": ("/bench/cte", {}),
                "validity API (JSON)": (api, auth),
                "validity API (JWS)": (api, {**auth, "Accept": "application/jose"}),
                "API, unknown ID (JSON)": ("/api/v1/delegations/7K3Q-9XWA-2M4P-HJ/validity", auth),
            }
            for path, headers in scenarios.values():
                _call(app, path, headers, 200)  # warm up: connections, prepared statements, caches
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
        finally:
            from django.db import connections

            connections.close_all()
            subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", "--force", DB], check=False)


if __name__ == "__main__":
    main()
