"""Demo data for the audit log: the checkpoint key under var/ and a first seal and checkpoint, so
the demo auditor finds sealed events and can verify and export from the admin at once."""

from __future__ import annotations

from typing import Any

from audit import keys, signing
from audit.sealing import checkpoint_now


def setup(command: Any) -> None:
    key = keys.private_key()  # generated under var/ on first use outside production
    checkpoint = checkpoint_now()
    head = f"#{checkpoint.seq}" if checkpoint else "empty"
    command.stdout.write(
        f"Audit log: sealed up to {head}; checkpoint key {keys.key_path()} (key ID {signing.key_id(key.public_key())[:16]}…)."
    )
