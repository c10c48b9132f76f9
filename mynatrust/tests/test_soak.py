"""The soak of bench/soak.py in a short form: gunicorn with the production settings under mixed load
(validity API, pages, signed uploads) answers no 5xx, its workers' memory stays bounded, every
upload is stored whole, and the audit chain verifies afterwards."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from bench import soak
from mynatrust.tests.test_running import ROOT, free_port

# Growth of one worker's RSS from the end of the warm-up to the end of the run. Signature checks,
# templates and the first PDFs are loaded in the warm-up; what follows is allocator noise of a few
# MB. A leak of a few kB per request would pass this in a minute: the 10-minute bench prints it.
MAX_GROWTH_MB = 40


@pytest.mark.slow
def test_a_short_soak_answers_no_5xx_keeps_memory_bounded_and_the_audit_chain_verifies(tmp_path: Path) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the soak runs production's stack: PostgreSQL")
    db = connection.settings_dict
    server = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    out = tmp_path / "soak.json"
    database = f"soak_ci_{os.getpid()}"
    command = [sys.executable, "bench/soak.py", "--minutes", "0.75", "--workers", "2", "--clients", "3"]
    command += ["--uploads", "8", "--port", str(free_port()), "--database", database, "--json", str(out)]
    # In a session of its own: should it overrun, the bench, its gunicorn and its clients go together.
    bench = subprocess.Popen(
        command,
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": f"{server}/postgres"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = bench.communicate(timeout=1200)
    finally:
        if bench.poll() is None:
            os.killpg(bench.pid, signal.SIGKILL)
            bench.communicate()
            soak.drop_database(server, database)
    report = stdout + stderr[-3000:]
    assert out.exists(), report
    summary = json.loads(out.read_text())
    assert summary["five_xx"] == 0, report
    assert summary["connection_errors"] == 0, report
    assert summary["unexpected"] == 0, report
    assert all(k["requests"] > 0 for k in summary["kinds"].values()), report
    assert summary["workers_replaced"] == [], report
    assert summary["max_growth_mb"] < MAX_GROWTH_MB, report
    integrity = summary["integrity"]
    assert integrity["uploaded"] == integrity["uploaded_active"] == 8, report
    assert integrity["files_without_event"] == integrity["states_without_files"] == 0, report
    # Every validity query is an audit event (those of the warm-up too): the chain holds at least these.
    assert summary["audit"]["ok"] and summary["audit"]["entries"] > summary["kinds"]["api"]["requests"], report
    assert bench.returncode == 0, report
