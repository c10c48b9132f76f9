"""Demo data for the audit log: the checkpoint key under var/ (its creation recorded as demo_setup's)
and a first seal and checkpoint, so the demo auditor finds sealed events and can verify and export
from the admin at once."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext

from audit import heads, keys, signing, witness
from audit.commandline import CHECKPOINT_KEY
from audit.sealing import checkpoint_now
from audit.services import AuditError, checkpoint_document, command_actor, record_cosignature


def make_key() -> None:
    """The demo's checkpoint key, on the record as audit_key makes one, before the set-up records its
    first event: the sealer that event wakes would otherwise find no key and make it on first use."""
    path = keys.key_path()
    if path is not None and not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        CHECKPOINT_KEY.create(path, keys.generate_key_file, command="demo_setup")


def setup(command: Any) -> None:
    make_key()
    key = keys.private_key()
    checkpoint = checkpoint_now()
    facts = {"path": keys.key_path(), "key_id": signing.key_id(key.public_key())[:16]}
    if checkpoint:
        said = gettext(
            "監査ログ：#%(seq)s まで封印しました。チェックポイントの署名鍵 %(path)s（鍵 ID %(key_id)s…）。"
        ) % {**facts, "seq": checkpoint.seq}
    else:
        said = gettext("監査ログ：まだ空です。チェックポイントの署名鍵 %(path)s（鍵 ID %(key_id)s…）。") % facts
    command.stdout.write(said)
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
        command.stdout.write(gettext("監査の立会人：連署していません（%(reason)s）。") % {"reason": err})
        return
    command.stdout.write(
        gettext("監査の立会人：#%(seq)s に連署しました（鍵 ID %(key_id)s…）。")
        % {"seq": cosignature["seq"], "key_id": cosignature["witness_key_id"][:16]}
    )
