"""Helpers for tests elsewhere in the project (kept out of audit/tests so other apps may import them)."""

from __future__ import annotations

import tempfile
from functools import cache
from pathlib import Path

from audit import signing


@cache
def checkpoint_key_file() -> str:
    """A throwaway checkpoint key for tests that run with production settings (check --deploy)."""
    path = Path(tempfile.mkdtemp(prefix="audit-test-key-")) / "checkpoint.pem"
    path.write_bytes(signing.generate_private_key_pem())
    return str(path)
