"""The witness after an acknowledged restore (docs/runbook.md §9): it keeps refusing checkpoints that
do not extend the head it cosigned last, until the auditor who acknowledged the loss re-bases it with
``audit_witness --rebase EVENT_ID --as EMAIL``. The witness checks the proof itself: the
acknowledgement sealed in the chain that a checkpoint signed by the service covers, its lost range
holding the witness's last head, the chain from a head the witness cosigned before. As in
test_restore_acknowledgement.py, the restore is what the hosts outside the database see: the key
host and the witness hold a head the restored log no longer has."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django_otp.plugins.otp_totp.models import TOTPDevice

import audit
from audit import heads, witness
from audit.models import AuditCosignature, AuditEvent
from audit.sealing import checkpoint_now, seal_pending
from audit.tests.test_witness import witness_host
from conftest import make_staff
from delegations.tests.test_trust_anchors import code_for
from mynatrust.operations import restores
from mynatrust.tests.test_restore_acknowledgement import _record, head_file, people  # noqa: F401  (fixtures)
from mynatrust.tests.test_restore_elsewhere import key_host  # noqa: F401  (the checkpoint key fixture)

pytestmark = pytest.mark.django_db


@contextmanager
def _refused(code: str) -> Iterator[None]:
    """The command refuses in Japanese; the service's refusal (its code) is the cause."""
    with pytest.raises(CommandError, match=r"^拒否しました：") as caught:
        yield
    assert getattr(caught.value.__cause__, "code", None) == code


@pytest.fixture
def witness_state(settings: Any, tmp_path: Path) -> Path:
    witness_host(settings, tmp_path)
    return Path(settings.AUDIT_WITNESS_STATE_PATH)


@pytest.fixture
def lost(head_file: Path, witness_state: Path) -> dict[str, heads.Head]:  # noqa: F811
    """The witness cosigned the checkpoint the restored log still holds, then (like the key host) a
    later head the restore lost; the restored log went on recording and sealing."""
    call_command("audit_witness", "--local", stdout=StringIO())
    before = heads.read(witness_state)
    signed = heads.read(head_file)
    assert before is not None and signed is not None and before.seq == signed.seq
    gone = heads.Head(signed.seq + 4, "ab" * 32, signed.time, signed.key_id)
    heads.write(head_file, gone)
    heads.write(witness_state, heads.Head(gone.seq, gone.head, gone.time, before.key_id))
    _record(3)
    seal_pending()
    return {"cosigned": before, "gone": gone}


def _acknowledged(people: dict[str, Any]) -> AuditEvent:  # noqa: F811
    request = restores.request_acknowledgement(actor=people["manager"], reason="月次の復元訓練（台帳 2026-12）")
    return restores.acknowledge(request.pk, actor=people["auditor"])


def _rebase(monkeypatch: Any, who: Any, event_id: int) -> str:
    # Each call as with a new code on the next step of the clock, after the throttle of a wrong one.
    TOTPDevice.objects.update(last_t=-1, throttling_failure_count=0, throttling_failure_timestamp=None)
    monkeypatch.setenv("MYNATRUST_OTP_CODE", code_for(who))
    out = StringIO()
    call_command("audit_witness", "--local", "--rebase", str(event_id), "--as", who.email, stdout=out)
    return out.getvalue()


def _refusals() -> list[str]:
    return [
        e.data["reason"] for e in AuditEvent.objects.filter(event_type="audit.witness_rebase_refused").order_by("id")
    ]


def test_the_auditor_who_acknowledged_the_loss_rebases_the_witness(lost, people, witness_state, monkeypatch):  # noqa: F811
    acknowledged = _acknowledged(people)
    checkpoint = checkpoint_now()
    assert checkpoint is not None
    with pytest.raises(CommandError, match="連署しませんでした"):  # the witness still holds the lost head
        call_command("audit_witness", "--local")

    said = _rebase(monkeypatch, people["auditor"], acknowledged.pk)

    assert f"チェックポイント #{checkpoint.seq} に連署しました" in said
    state = heads.read(witness_state)
    assert state is not None and (state.seq, state.head) == (checkpoint.seq, checkpoint.head_hash)
    kept = json.loads(witness_state.read_text())["rebased"]
    assert kept["event_id"] == acknowledged.pk and kept["by"] == people["auditor"].email
    assert (kept["from_seq"], kept["from_head"]) == (lost["gone"].seq, lost["gone"].head)
    assert (kept["onto_seq"], kept["onto_head"]) == (lost["cosigned"].seq, lost["cosigned"].head)
    assert witness.journal(witness_state)[-1]["kind"] == "rebased"
    event = AuditEvent.objects.get(event_type="audit.witness_rebased")
    assert event.actor_id == str(people["auditor"].pk) and event.data["entry_point"]["entry"] == "cli"
    assert (event.data["lost_from"], event.data["lost_to"], event.data["to_seq"]) == (
        acknowledged.data["lost_from"],
        acknowledged.data["lost_to"],
        checkpoint.seq,
    )
    assert AuditCosignature.objects.filter(seq=checkpoint.seq).exists()

    # From there on the witness cosigns as usual; the same acknowledgement re-bases nothing again.
    _record(2)
    later = checkpoint_now()
    assert later is not None
    call_command("audit_witness", "--local", stdout=StringIO())
    assert AuditCosignature.objects.filter(seq=later.seq).exists()
    with _refused("no_fork"):
        _rebase(monkeypatch, people["auditor"], acknowledged.pk)


def test_a_rebase_needs_the_acknowledgement_of_the_auditor_who_runs_it(lost, people, witness_state, monkeypatch):  # noqa: F811
    acknowledged = _acknowledged(people)
    request_id = acknowledged.data["request_id"]
    checkpoint_now()
    other_auditor = make_staff("auditor", "auditor2@staff.example.jp")
    state, journal = witness_state.read_bytes(), witness.journal(witness_state)

    with pytest.raises(CommandError, match="--as"):
        call_command("audit_witness", "--local", "--rebase", str(acknowledged.pk))
    monkeypatch.setenv("MYNATRUST_OTP_CODE", "000000")
    with pytest.raises(CommandError, match="認証アプリのコードが違う"):
        call_command("audit_witness", "--local", "--rebase", str(acknowledged.pk), "--as", people["auditor"].email)
    for who, event_id, code in (
        (people["manager"], acknowledged.pk, "role"),
        (people["auditor"], request_id, "not_acknowledgement"),
        (people["auditor"], acknowledged.pk + 10_000, "no_event"),
        (other_auditor, acknowledged.pk, "not_yours"),
    ):
        with _refused(code):
            _rebase(monkeypatch, who, event_id)

    assert _refusals() == ["role", "not_acknowledgement", "no_event", "not_yours"]
    assert witness_state.read_bytes() == state and witness.journal(witness_state) == journal
    assert not AuditEvent.objects.filter(event_type="audit.witness_rebased").exists()
    assert AuditCosignature.objects.count() == 1  # the one cosigned before the restore


def test_a_fork_nobody_acknowledged_is_not_rebased(lost, people, witness_state, monkeypatch):  # noqa: F811
    """The loss was requested but never confirmed. Whoever holds the database writes the
    acknowledgement the auditor never gave; without the checkpoint key nothing signs over it."""
    request = restores.request_acknowledgement(actor=people["manager"], reason="復元")
    facts = {k: request.data[k] for k in ("signed_seq", "signed_head", "anchor_seq", "anchor_head", "lost_from")}
    beside = audit.record(
        restores.restores.ACKNOWLEDGED, actor=people["auditor"], **facts, lost_to=lost["gone"].seq - 1
    )
    forged = audit.record(restores.restores.ACKNOWLEDGED, actor=people["auditor"], **facts, lost_to=lost["gone"].seq)
    seal_pending()  # sealed, but not signed: the sequencer still refuses the restored log
    state = witness_state.read_bytes()

    with _refused("not_covered"):
        _rebase(monkeypatch, people["auditor"], beside.pk)
    with _refused("not_in_log"):
        _rebase(monkeypatch, people["auditor"], forged.pk)

    assert _refusals() == ["not_covered", "not_in_log"]
    assert witness_state.read_bytes() == state
    with pytest.raises(CommandError, match="連署しませんでした"):
        call_command("audit_witness", "--local")
