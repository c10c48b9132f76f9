"""Verification speed of this checkout beside another checkout's (e.g. a git worktree of an older
commit), on the same sealed log, in the same run, rounds interleaved.

    git worktree add /tmp/baseline <old-commit>
    DATABASE_URL=postgres://… .venv/bin/python bench/audit_verify_baseline.py --baseline-tree /tmp/baseline

Fills a throw-away database (created, migrated and dropped here) with N events shaped like validity
answers (bench/audit_log.py's fill), seals them, then times ``verify_chain()`` (one process) in a
fresh interpreter of each checkout, alternately, and prints the medians and their ratio."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mynatrust.settings")
os.environ["AUDIT_SEALER"] = "off"

TIMED = """
import json, os, time, django
django.setup()
from audit.verify import verify_chain
began, cpu = time.perf_counter(), time.process_time()
report = verify_chain()
print(json.dumps({"seconds": time.perf_counter() - began, "cpu": time.process_time() - cpu,
                  "entries": report.entries, "ok": report.ok}))
"""


def _timed(tree: Path, env: dict[str, str]) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", TIMED], cwd=tree, env={**env, "PYTHONPATH": str(tree)}, capture_output=True, text=True
    )
    if out.returncode:
        sys.exit(f"{tree}: {out.stderr[-2000:]}")
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline-tree", type=Path, required=True, help="the other checkout")
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    import django

    django.setup()
    import audit_log  # bench/audit_log.py
    from django.conf import settings
    from django.db import connection

    from audit.sealing import seal_pending

    old_name = connection.settings_dict["NAME"]
    db_name = f"bench_verify_{os.getpid()}"
    connection.settings_dict.setdefault("TEST", {})["NAME"] = db_name
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            settings.AUDIT_CHECKPOINT_KEY_PATH = str(Path(tmp) / "key.pem")
            settings.AUDIT_HEAD_STATE_PATH = str(Path(tmp) / "head.json")
            audit_log.fill(args.events)
            seal_pending()
            db = connection.settings_dict
            url = f"postgres://{db['USER']}:{db.get('PASSWORD') or ''}@{db['HOST']}:{db['PORT']}/{db_name}"
            env = {
                **os.environ,
                "DATABASE_URL": url,
                "AUDIT_CHECKPOINT_KEY_PATH": settings.AUDIT_CHECKPOINT_KEY_PATH,
                "AUDIT_HEAD_STATE_PATH": settings.AUDIT_HEAD_STATE_PATH,
            }
            times: dict[str, list[float]] = {"baseline": [], "this checkout": []}
            # CPU seconds of the verifying process too: on a shared machine wall time moves with others' load.
            cpus: dict[str, list[float]] = {"baseline": [], "this checkout": []}
            for _round in range(args.rounds):
                for name, tree in (("baseline", args.baseline_tree), ("this checkout", ROOT)):
                    result = _timed(tree, env)
                    times[name].append(result["seconds"])
                    cpus[name].append(result["cpu"])
                    print(
                        f"   {name:<14} {result['seconds']:6.2f} s ({result['cpu']:6.2f} s CPU)  "
                        f"{result['entries']:.0f} entries  ok={result['ok']}"
                    )
            base, this = statistics.median(times["baseline"]), statistics.median(times["this checkout"])
            print(
                f"verify_chain() over {args.events} events, median of {args.rounds} interleaved rounds; {audit_log._load()}"
            )
            print(f"   baseline ({args.baseline_tree})  {base:6.2f} s  {args.events / base:9.0f} events/s")
            print(
                f"   this checkout                 {this:6.2f} s  {args.events / this:9.0f} events/s  ({this / base:.1%} of baseline)"
            )
            base_cpu, this_cpu = statistics.median(cpus["baseline"]), statistics.median(cpus["this checkout"])
            print(
                f"   CPU: baseline {base_cpu:6.2f} s, this checkout {this_cpu:6.2f} s ({this_cpu / base_cpu:.1%} of baseline)"
            )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
