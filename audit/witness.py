"""The witness: a second party, on another host and under another role, that keeps the last signed
head it saw and cosigns a new checkpoint only when the chain leads from that head to it (as
Certificate Transparency witnesses cosign tree heads; for a hash chain the consistency proof is the
run of chain links between the two heads). Pure: standard library plus ``cryptography``.

What it is given — from ``/.well-known/audit-checkpoint?since=SEQ`` or from an export — is a
document ``{"checkpoint": {...signed fields, "signature"}, "links": [{"seq", "digest", "hash"}...]}``
with the links after the witness's last head up to the checkpoint.

Besides its head file the witness keeps a journal beside it (``STATE.journal``, one JSON line per
head it cosigned or re-based onto, appended and fsynced): the heads it vouched for. After a restore
older than the heads it cosigned, acknowledged by the service manager and the auditor, the witness
refuses the new checkpoints, as it should; ``rebase`` then moves it on, once, with the auditor's
proof: the acknowledgement entry, sealed in the log that a checkpoint signed by the service's key
covers, naming the lost range that holds the witness's last head, and the chain from a head in the
witness's own journal through that entry to the checkpoint.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.utils.translation import gettext

from audit import chain, heads, signing
from kernel import ServiceError

COSIGNATURE_TYPE = "mynatrust-audit-cosignature/1"
COSIGNATURE_FIELDS = ("type", "seq", "head", "checkpoint_key_id", "time", "witness_key_id")


ACKNOWLEDGED = "audit.restore_loss_acknowledged"  # audit.restores.ACKNOWLEDGED (this module stays pure)


class Refused(ServiceError):
    """The witness will not cosign: the checkpoint is not signed by the service's key, or it does
    not extend the last head the witness cosigned (a fork, or a log cut back). ``code`` names the
    reason of a refused re-base."""

    def __init__(self, message: str, code: str = "refused", **facts: Any) -> None:
        super().__init__(message, code=code)
        self.facts = facts


def cosignature_payload(cosignature: dict[str, Any]) -> dict[str, Any]:
    return {name: cosignature[name] for name in COSIGNATURE_FIELDS}


def verify_cosignature(key: Ed25519PublicKey, cosignature: dict[str, Any]) -> bool:
    return (
        cosignature.get("type") == COSIGNATURE_TYPE
        and cosignature.get("witness_key_id") == signing.key_id(key)
        and signing.verify(key, cosignature_payload(cosignature), cosignature.get("signature", ""))
    )


def links_of(items: Iterable[dict[str, Any]]) -> Iterable[tuple[int, str, str]]:
    for item in items:
        yield int(item["seq"]), str(item["digest"]), str(item["hash"])


def journal_path(state: Path) -> Path:
    return state.with_name(state.name + ".journal")


def _append(state: Path, record: dict[str, Any]) -> None:
    path = journal_path(state)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(record, sort_keys=True, ensure_ascii=False) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def journal(state: Path) -> list[dict[str, Any]]:
    try:
        text = journal_path(state).read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def vouched_heads(state: Path) -> list[heads.Head]:
    """Every head this witness cosigned or re-based onto, in order, from the genesis on."""
    found = [heads.GENESIS]
    found += [
        heads.Head(int(r["seq"]), str(r["head"])) for r in journal(state) if r.get("kind") in ("cosigned", "rebased")
    ]
    last = heads.read(state)
    if last is not None:  # a head file older than the journal
        found.append(heads.Head(last.seq, last.head))
    return found


def _checked(document: dict[str, Any], service_key: Ed25519PublicKey) -> tuple[dict[str, Any], heads.Head]:
    checkpoint = document["checkpoint"]
    if checkpoint.get("key_id") != signing.key_id(service_key):
        raise Refused(gettext("チェックポイントはサービスの鍵とは別の鍵で署名されています"), "signature")
    if not signing.verify(service_key, signing.signed_checkpoint_payload(checkpoint), checkpoint["signature"]):
        raise Refused(
            gettext("チェックポイント #%(seq)s: 署名が正しくありません") % {"seq": checkpoint["seq"]}, "signature"
        )
    return checkpoint, heads.Head(int(checkpoint["seq"]), str(checkpoint["head"]))


def _cosignature(
    new: heads.Head, checkpoint: dict[str, Any], witness_key: Ed25519PrivateKey, moment: str
) -> dict[str, Any]:
    cosignature: dict[str, Any] = {
        "type": COSIGNATURE_TYPE,
        "seq": new.seq,
        "head": new.head,
        "checkpoint_key_id": checkpoint["key_id"],
        "time": moment,
        "witness_key_id": signing.key_id(witness_key.public_key()),
    }
    cosignature["signature"] = signing.sign(witness_key, cosignature_payload(cosignature))
    return cosignature


def cosign(
    document: dict[str, Any],
    *,
    service_key: Ed25519PublicKey,
    witness_key: Ed25519PrivateKey,
    state: Path,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Check ``document`` and cosign its checkpoint; the witness's head file moves on to it."""
    checkpoint, new = _checked(document, service_key)
    last = heads.read(state) or heads.GENESIS
    problem = heads.extension_problem(last, links_of(document.get("links", [])), new)
    if problem is not None:
        raise Refused(
            gettext("前回連署した先頭（#%(seq)s）を延長していません：%(problem)s")
            % {"seq": last.seq, "problem": problem},
            "fork",
        )
    moment = chain.format_time(now or datetime.now(UTC))
    cosignature = _cosignature(new, checkpoint, witness_key, moment)
    if new.seq != last.seq:
        heads.write(state, heads.Head(new.seq, new.head, moment, cosignature["witness_key_id"]))
        _append(state, {"kind": "cosigned", "seq": new.seq, "head": new.head, "time": moment})
    return cosignature


def _loss_of(entry: dict[str, Any]) -> dict[str, Any]:
    data = entry.get("data")
    if entry.get("event_type") != ACKNOWLEDGED or not isinstance(data, dict):
        raise Refused(
            gettext("エントリー %(id)s は確認された欠落ではありません") % {"id": entry.get("id")}, "not_acknowledgement"
        )
    try:
        return {
            "lost_from": int(data["lost_from"]),
            "lost_to": int(data["lost_to"]),
            "signed_seq": int(data["signed_seq"]),
            "signed_head": str(data["signed_head"]),
            "anchor_seq": int(data["anchor_seq"]),
            "anchor_head": str(data["anchor_head"]),
        }
    except (KeyError, TypeError, ValueError) as err:
        raise Refused(
            gettext("エントリー %(id)s は確認された欠落ではありません") % {"id": entry.get("id")}, "not_acknowledgement"
        ) from err


def rebase_start(state: Path, entry: dict[str, Any]) -> heads.Head:
    """The newest head this witness vouched for at or before the acknowledgement's anchor: the chain
    to the new checkpoint is asked from there (``links`` after its ``seq``)."""
    anchor_seq = _loss_of(entry)["anchor_seq"]
    return max((h for h in vouched_heads(state) if h.seq <= anchor_seq), key=lambda h: h.seq)


def _check_covered(loss: dict[str, Any], last: heads.Head) -> None:
    """The acknowledged loss holds ``last``, the head cosigned last."""
    if not loss["lost_from"] <= last.seq <= loss["lost_to"] or (
        last.seq == loss["signed_seq"] and last.head != loss["signed_head"]
    ):
        raise Refused(
            gettext("確認された欠落 #%(lost_from)s–#%(lost_to)s は、前回連署した先頭 #%(seq)s を含みません")
            % {"lost_from": loss["lost_from"], "lost_to": loss["lost_to"], "seq": last.seq},
            "not_covered",
            **loss,
        )


def _check_chain_to(
    new: heads.Head,
    *,
    start: heads.Head,
    links: list[tuple[int, str, str]],
    loss: dict[str, Any],
    entry: dict[str, Any],
    entry_seq: int,
) -> None:
    """The chain leads from ``start`` to ``new`` through the loss's anchor, and holds ``entry`` at
    ``entry_seq`` after the anchor."""
    problem = heads.extension_problem(start, (link for link in links if link[0] > start.seq), new)
    if problem is not None:
        raise Refused(
            gettext("この立会人が連署した #%(start)s から：%(problem)s") % {"start": start.seq, "problem": problem},
            "fork",
            start=start.seq,
        )
    at = {seq: (digest, hash_) for seq, digest, hash_ in links}
    anchor_hash = start.head if loss["anchor_seq"] == start.seq else at.get(loss["anchor_seq"], ("", ""))[1]
    if anchor_hash != loss["anchor_head"]:
        raise Refused(
            gettext("基準点 #%(anchor)s は #%(seq)s までのチェーン上にありません")
            % {"anchor": loss["anchor_seq"], "seq": new.seq},
            "anchor",
        )
    if not loss["anchor_seq"] < entry_seq <= new.seq or at[entry_seq][0] != chain.entry_digest(entry):
        raise Refused(
            gettext("エントリー %(id)s は、チェックポイント #%(checkpoint)s より前の #%(seq)s に封印されていません")
            % {"id": entry.get("id"), "seq": entry_seq, "checkpoint": new.seq},
            "not_in_log",
        )


def rebase(
    document: dict[str, Any],
    *,
    entry_seq: int,
    entry: dict[str, Any],
    service_key: Ed25519PublicKey,
    witness_key: Ed25519PrivateKey,
    state: Path,
    by: str = "",
    now: datetime | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Cosign ``document``'s checkpoint although it does not extend the head cosigned last, because
    ``entry`` (sealed at ``entry_seq``) acknowledged the loss of that head; return the cosignature
    and the facts of the re-base, which the head file and the journal keep. Refused (``code``) when
    the checkpoint extends the last head anyway (``no_fork``), ``entry`` is no acknowledgement, its
    lost range does not hold the last head (``not_covered``: a fork nobody acknowledged), the chain
    does not lead from a head this witness vouched for to the checkpoint (``fork``), the anchor is
    not on it (``anchor``), ``entry`` is not the entry sealed there before the checkpoint
    (``not_in_log``), or it was used for a re-base already (``used``)."""
    checkpoint, new = _checked(document, service_key)
    last = heads.read(state) or heads.GENESIS
    links = list(links_of(document.get("links", [])))
    if heads.extension_problem(last, (link for link in links if link[0] > last.seq), new) is None:
        raise Refused(
            gettext("チェックポイント #%(seq)s は前回連署した先頭（#%(last)s）を延長しています")
            % {"seq": new.seq, "last": last.seq},
            "no_fork",
        )
    loss = _loss_of(entry)
    _check_covered(loss, last)
    if any(r.get("kind") == "rebased" and r.get("event_id") == entry.get("id") for r in journal(state)):
        raise Refused(gettext("エントリー %(id)s でこの立会人は既に付け替えています") % {"id": entry.get("id")}, "used")
    start = rebase_start(state, entry)
    _check_chain_to(new, start=start, links=links, loss=loss, entry=entry, entry_seq=entry_seq)
    moment = chain.format_time(now or datetime.now(UTC))
    cosignature = _cosignature(new, checkpoint, witness_key, moment)
    facts = {
        "event_id": entry.get("id"),
        "acknowledged_seq": entry_seq,
        "lost_from": loss["lost_from"],
        "lost_to": loss["lost_to"],
        "from_seq": last.seq,
        "from_head": last.head,
        "onto_seq": start.seq,
        "onto_head": start.head,
        "to_seq": new.seq,
        "to_head": new.head,
        "by": by,
        "time": moment,
    }
    heads.write(state, heads.Head(new.seq, new.head, moment, cosignature["witness_key_id"]), extra={"rebased": facts})
    _append(state, {"kind": "rebased", "seq": new.seq, "head": new.head, **facts})
    return cosignature, facts
