"""A database restored from a backup older than the last head the sequencer signed.

The head file outside the database (audit.heads) then names a position the restored log no longer
holds, or holds with another hash: the entries signed after the backup are lost. The sequencer
refuses to sign until people who may decide so acknowledge the loss. Acknowledging does not hide
it: the event records the lost positions for good, every verification lists them, and the head file
is re-based to the newest checkpoint the restored log holds, which the restored log provably extends
(so the next checkpoint names it as the one before). Exports and witnesses that kept the lost head
still show the fork (``offline_verify --since``).

Who may request and confirm is the project's decision (mynatrust.operations.restores); this module
only finds the loss and re-bases the head, under the sequencer lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext

from audit import chain, heads, keys, signing
from audit.losses import ACKNOWLEDGED
from audit.models import AuditEvent, AuditSeal
from audit.public import head_problem
from audit.recorder import record
from audit.sealing import _lock, latest_checkpoint, seal_pending
from audit.verify import verify_chain
from kernel import Actor, ServiceError


@dataclass(frozen=True)
class Loss:
    """What the restored log no longer holds: positions ``lost_from``..``lost_to`` as signed."""

    signed: heads.Head  # the last head the sequencer signed (the head file)
    anchor: heads.Head  # the newest checkpoint of ours in the restored log: signed history up to here
    database_seq: int  # the restored log's head now (it went on sealing after the restore)
    problem: str  # why the log does not extend the signed head

    @property
    def lost_from(self) -> int:
        return self.anchor.seq + 1

    @property
    def lost_to(self) -> int:
        return self.signed.seq

    def facts(self) -> dict[str, Any]:
        return {
            "signed_seq": self.signed.seq,
            "signed_head": self.signed.head,
            "signed_at": self.signed.time,
            "anchor_seq": self.anchor.seq,
            "anchor_head": self.anchor.head,
            "database_seq": self.database_seq,
            "lost_from": self.lost_from,
            "lost_to": self.lost_to,
        }


class Unprovable(ServiceError):
    """The restored log does not verify on its own: that is tampering to investigate, not a restore."""


def find_loss() -> Loss | None:
    """The loss, when the log does not extend the signed head; None when it does. Seals what is
    pending first. Raises Unprovable when the log fails verification apart from the signed head."""
    path = keys.head_path()
    signed = heads.read(path) if path else None
    if signed is None or signed.seq == 0:
        return None
    seal_pending(sign=False)
    problem = head_problem()
    if problem is None:
        return None
    report = verify_chain(against_signed_head=False)
    if not report.chain_ok:
        raise Unprovable(str(report.first_problem))
    database_seq = AuditSeal.objects.aggregate(hi=Max("seq"))["hi"] or 0
    found = latest_checkpoint(min(signed.seq, database_seq))
    anchor = heads.Head(found.seq, found.head_hash) if found is not None else heads.GENESIS
    return Loss(signed, anchor, database_seq, problem)


def acknowledge(loss: Loss, *, actor: Actor | None, **data: Any) -> AuditEvent:
    """Record the loss for good and re-base the head file onto ``loss.anchor``; the loss must still
    be the one found (nothing signed or restored meanwhile). ``data`` joins the event (who asked,
    why)."""
    path = keys.head_path()
    if path is None:
        raise Unprovable(gettext("署名済みの先頭を保存するファイルが設定されていません"), code="no_head_file")
    kid = signing.key_id(keys.private_key().public_key())
    with transaction.atomic():
        _lock("default")  # no checkpoint is signed while the head file changes
        current = heads.read(path)
        if current != loss.signed:
            raise Unprovable(gettext("欠落を見つけた後に、署名済みの先頭が変わりました"), code="head_changed")
        event = record(ACKNOWLEDGED, actor=actor, **loss.facts(), **data)
        now = chain.format_time(timezone.now())
        heads.write(path, heads.Head(loss.anchor.seq, loss.anchor.head, now, kid))
    return event
