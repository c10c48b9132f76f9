"""Helpers for tests elsewhere in the project (kept out of validity/tests so other apps may import them)."""

from __future__ import annotations

import tempfile
from functools import cache
from pathlib import Path

from validity import signing


@cache
def signing_key_file() -> str:
    """A throwaway answer-signing key for tests that run with production settings (validity.E001)."""
    path = Path(tempfile.mkdtemp(prefix="validity-test-key-")) / "answers.pem"
    signing.generate_key_file(path)
    return str(path)
