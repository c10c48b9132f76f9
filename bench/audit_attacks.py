"""The attack set of someone holding the database, and what finds each attack: prints the table
(case, expected, detected by: verify / offline / witness / refused).

    DATABASE_URL=postgres://… .venv/bin/python bench/audit_attacks.py

Runs audit/tests/test_attack_table.py on PostgreSQL (a test database is created and dropped)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

if __name__ == "__main__":
    sys.exit(
        subprocess.call(
            [
                sys.executable,
                "-m",
                "pytest",
                "audit/tests/test_attack_table.py",
                "-n0",
                "-q",
                "-s",
                "-p",
                "no:cacheprovider",
            ],
            cwd=ROOT,
        )
    )
