"""Demo data for the audit log: the checkpoint key under var/ and a first seal and checkpoint, so
the demo auditor finds sealed events and can verify and export from the admin at once."""

from __future__ import annotations

from typing import Any

from audit import heads, keys, signing, witness
from audit.sealing import checkpoint_now
from audit.services import AuditError, checkpoint_document, command_actor, record_cosignature


def setup(command: Any) -> None:
    key = keys.private_key()  # generated under var/ on first use outside production
    checkpoint = checkpoint_now()
    head = f"#{checkpoint.seq}" if checkpoint else "empty"
    command.stdout.write(
        f"Audit log: sealed up to {head}; checkpoint key {keys.key_path()} (key ID {signing.key_id(key.public_key())[:16]}…)."
    )
    _witness(command)


def _witness(command: Any) -> None:
    """The demo's witness (its key and head under var/) cosigns the head once, as the auditor would
    with ``manage.py audit_witness``."""
    try:
        witness_key = keys.witness_private_key()
        state = keys.witness_paths()[1]
        last = heads.read(state) or heads.GENESIS
        document = checkpoint_document(last.seq)
        cosignature = witness.cosign(
            document, service_key=keys.private_key().public_key(), witness_key=witness_key, state=state
        )
        record_cosignature(cosignature, actor=command_actor("demo_setup"))
    except (keys.KeyUnavailable, AuditError, witness.Refused) as err:
        command.stdout.write(f"Audit witness: not cosigned ({err}).")
        return
    command.stdout.write(f"Audit witness: cosigned #{cosignature['seq']} (key {cosignature['witness_key_id'][:16]}…).")
