"""Helpers for tests elsewhere in the project (kept out of audit/tests so other apps may import them)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import uuid
from functools import cache
from pathlib import Path

from audit import signing


@cache
def checkpoint_key_file() -> str:
    """A throwaway checkpoint key for tests that run with production settings (check --deploy)."""
    path = Path(tempfile.mkdtemp(prefix="audit-test-key-")) / "checkpoint.pem"
    path.write_bytes(signing.generate_private_key_pem())
    return str(path)


def manage_without_the_log(*args: str, where: str) -> subprocess.CompletedProcess[str]:
    """``manage.py *args`` run in its own process where no event can be recorded: against a fresh
    database without the service's tables (``where="empty"``, migrate not run yet) on the server of
    ``DATABASE_URL``, or against no database at all (``"unreachable"``)."""
    from bench import soak

    server = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
    with soak.database(server, f"mt_unmigrated_{uuid.uuid4().hex[:12]}") as url:
        return subprocess.run(  # noqa: S603  (this interpreter, the project's manage.py)
            [sys.executable, "manage.py", *args],
            cwd=Path(__file__).resolve().parents[1],
            env={**os.environ, "DATABASE_URL": url if where == "empty" else "postgres://postgres@127.0.0.1:1/nothing"},
            capture_output=True,
            text=True,
            check=False,
        )
