"""What someone holding the database can try against the log, and how each attempt ends: refused by
the database, or found by audit_verify, by the offline verifier, or by the sequencer."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

import audit
from audit import guard, offline_verify
from audit.export import Filters
from audit.models import AuditCheckpoint, AuditEvent, AuditSeal, AuditSegment
from audit.sealing import checkpoint_now, seal_pending
from audit.services import AuditError, stream_export, verify_log
from audit.tests.conftest import postgresql_only, record_many, tampering
from audit.verify import verify_chain
from mynatrust.operations.audit_figures import audit_signed_head as sequencer_health


@pytest.fixture
def sealed(db):
    seal_pending()
    checkpoint_now()
    record_many(6)
    seal_pending()
    checkpoint_now()


def export_file(tmp_path, fmt="jsonl", name="export.zip", evidence=False, **filters):
    _plan, chunks = stream_export(Filters(**filters), fmt, actor=audit.SYSTEM, evidence=evidence)
    path = tmp_path / name
    path.write_bytes(b"".join(chunks))
    return path


# --- case 1: no setting opens a door in the triggers ---------------------------------------------
@postgresql_only
@pytest.mark.parametrize("setting", ["audit.allow_flush", "audit.prune"])
@pytest.mark.parametrize("table", ["audit_auditevent", "audit_auditseal", "audit_auditcheckpoint"])
def test_no_setting_a_role_may_change_lets_it_truncate_the_log(sealed, setting, table):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, 'on', true)", [setting])
        cursor.execute(f"TRUNCATE {table} CASCADE")


@postgresql_only
def test_no_setting_lets_a_role_delete_rows_a_segment_row_claims_to_cover(sealed):
    """A segment row anyone with INSERT can write: with the old door it made every row deletable."""
    head = AuditSeal.objects.order_by("-seq").first()
    assert head is not None
    AuditSegment.objects.create(
        first_seq=1,
        last_seq=head.seq,
        prev_hash="0" * 64,
        last_hash=head.hash,
        file_name="forged.zip",
        sha256="0" * 64,
        created_at=timezone.now(),
        key_id="x",
        signature="x",
    )
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('audit.prune', 'on', true)")
        cursor.execute("DELETE FROM audit_auditseal WHERE seq = 1")


@postgresql_only
def test_pruning_goes_only_through_the_prune_function_and_only_inside_a_segment(sealed):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT audit_prune(1, 2)")  # no such segment


# --- case 3: an unfiltered export is complete ----------------------------------------------------
def _zip_members(path):
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _write_zip(path, members):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    path.write_bytes(out.getvalue())


def test_an_event_deleted_behind_its_seal_is_not_taken_for_a_filtered_out_entry(sealed, tmp_path):
    victim = AuditSeal.objects.filter(event__event_type="test.event").order_by("seq")[2]
    with tampering() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [victim.event_id])
    assert not verify_chain().ok
    path = export_file(tmp_path, evidence=True)
    with pytest.raises(offline_verify.Invalid, match=f"#{victim.seq}"):
        offline_verify.verify_file(path)


def test_an_unfiltered_export_missing_an_entry_fails_offline(sealed, tmp_path):
    """Even when the file was cut after the export: the manifest says unfiltered, so every position
    between the first and the last must have its entry."""
    path = export_file(tmp_path)
    members = _zip_members(path)
    lines = members["events.jsonl"].splitlines(keepends=True)
    del lines[3]
    members["events.jsonl"] = b"".join(lines)
    import hashlib
    import json

    manifest = json.loads(members["manifest.json"])
    manifest["files"]["events.jsonl"]["sha256"] = hashlib.sha256(members["events.jsonl"]).hexdigest()
    manifest["count"] -= 1
    members["manifest.json"] = json.dumps(manifest).encode()
    forged = tmp_path / "cut.zip"
    _write_zip(forged, members)
    with pytest.raises(offline_verify.Invalid, match="unfiltered"):
        offline_verify.verify_file(forged)


# --- case 4: a far checkpoint row does not stop checkpointing ------------------------------------
def test_a_forged_checkpoint_row_far_past_the_head_does_not_stop_checkpointing(sealed, settings, tmp_path):
    head = AuditSeal.objects.order_by("-seq").values_list("seq", flat=True)[0]
    AuditCheckpoint.objects.create(
        seq=head + 1_000_000, head_hash="f" * 64, signed_at=timezone.now(), key_id="x", signature="x"
    )
    settings.AUDIT_CHECKPOINT_EVERY = 3
    record_many(5)
    result = seal_pending()
    assert result.checkpoint is not None
    assert result.checkpoint.seq == result.head_seq
    report = verify_chain()
    assert not report.ok  # the forged row itself is reported
    assert any(p.seq == head + 1_000_000 for p in report.problems)
    # It does not block verifiable exports of a chain that is sound; the manifest notes the row.
    manifest = offline_verify.verify_file(export_file(tmp_path))
    assert manifest["to_seq"] > head
    assert any(f"#{head + 1_000_000}" in note for note in manifest["notes"])


def test_a_forged_checkpoint_row_where_the_next_one_is_due_is_passed_over(sealed, settings):
    head = AuditSeal.objects.order_by("-seq").values_list("seq", flat=True)[0]
    settings.AUDIT_CHECKPOINT_EVERY = 3
    AuditCheckpoint.objects.create(
        seq=head + 3, head_hash="f" * 64, signed_at=timezone.now(), key_id="x", signature="x"
    )
    record_many(3)
    seal_pending()  # the signing at head + 3 is refused, sealing goes on
    assert AuditSeal.objects.filter(seq=head + 3).exists()
    assert AuditEvent.objects.filter(event_type="audit.checkpoint_refused").exists()
    record_many(1)
    cp = checkpoint_now()
    assert cp is not None
    assert cp.seq > head + 3
    assert cp.signature != "x"


# --- case 6: a guard trigger switched to fire only on replicas is reported ------------------------
@postgresql_only
@pytest.mark.parametrize("mode", ["ENABLE REPLICA", "DISABLE"])
def test_a_guard_trigger_that_no_longer_fires_is_reported(db, mode):
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE audit_auditevent {mode} TRIGGER audit_auditevent_no_delete")
    assert "audit_auditevent_no_delete" in guard.missing_triggers()
    assert not verify_chain().ok


@postgresql_only
def test_a_guard_trigger_enabled_always_still_counts(db):
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE audit_auditevent ENABLE ALWAYS TRIGGER audit_auditevent_no_delete")
    assert guard.missing_triggers() == []


# --- case 2 and case 1's aftermath: heads kept outside the database ----------------------------------
def rewrite_from(k_seq: int) -> None:
    """What a database holder does to hide an edit: change the event at ``k_seq``, recompute the
    digest and hash of it and of every later seal, and move the sequencer's last batch along."""
    from audit import chain
    from audit.sealing import entry_of, event_columns

    with tampering() as cursor:
        event_id = AuditSeal.objects.get(seq=k_seq).event_id
        cursor.execute("UPDATE audit_auditevent SET actor_label = 'someone else' WHERE id = %s", [event_id])
        cursor.execute(
            f"SELECT s.seq, {event_columns(connection.vendor)} FROM audit_auditseal s "  # noqa: S608
            "JOIN audit_auditevent e ON e.id = s.event_id WHERE s.seq >= %s ORDER BY s.seq",
            [k_seq],
        )
        rows = cursor.fetchall()
        prev = AuditSeal.objects.get(seq=k_seq).prev_hash
        for row in rows:
            entry, float_free = entry_of(row[1:])
            digest = chain.entry_digest(entry, float_free=float_free)
            new = chain.chain_hash(prev, digest)
            cursor.execute(
                "UPDATE audit_auditseal SET digest = %s, prev_hash = %s, hash = %s WHERE seq = %s",
                [digest, prev, new, row[0]],
            )
            prev = new
        cursor.execute("UPDATE audit_auditsealbatch SET last_hash = %s WHERE last_seq = %s", [prev, rows[-1][0]])


def test_a_rewrite_in_the_middle_with_the_later_checkpoints_deleted_is_found(sealed, tmp_path):
    k = AuditSeal.objects.filter(event__event_type="test.event").order_by("seq")[2].seq
    rewrite_from(k)
    with tampering() as cursor:
        cursor.execute("DELETE FROM audit_auditcheckpoint WHERE seq >= %s", [k])
    report = verify_chain()
    assert not report.ok
    assert any("データベースの外" in p.message for p in report.problems), report.problems
    # Nothing signs the forged head, and no export passes for a good one.
    assert checkpoint_now() is None
    assert not AuditCheckpoint.objects.filter(seq__gte=k).exists()
    assert AuditEvent.objects.filter(event_type="audit.checkpoint_refused").exists()
    with pytest.raises(AuditError):
        export_file(tmp_path)
    evidence = export_file(tmp_path, name="evidence.zip", evidence=True)
    with pytest.raises(offline_verify.Invalid, match="failed verification"):
        offline_verify.verify_file(evidence)


def test_verification_and_export_never_sign_a_forged_head(sealed, tmp_path):
    k = AuditSeal.objects.filter(event__event_type="test.event").order_by("seq")[2].seq
    record_many(2)  # unsealed: the next sealing would checkpoint them
    rewrite_from(k)
    checkpoints = AuditCheckpoint.objects.count()
    verify_log(actor=audit.SYSTEM)
    with pytest.raises(AuditError):
        export_file(tmp_path)
    assert AuditCheckpoint.objects.count() == checkpoints


def test_an_emptied_log_fails_verification_and_numbering_does_not_start_again(sealed):
    with tampering() as cursor:
        for table in guard.TABLES:
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608  (constants only)
    report = verify_chain()
    assert not report.ok
    record_many(2)
    assert checkpoint_now() is None
    assert not AuditCheckpoint.objects.exists()
    assert sequencer_health() == "error"


def test_each_checkpoint_names_the_one_before(sealed, tmp_path):
    record_many(3)
    first = checkpoint_now()
    record_many(3)
    second = checkpoint_now()
    assert first is not None and second is not None
    assert (second.prev_seq, second.prev_head) == (first.seq, first.head_hash)
    assert second.payload()["prev_seq"] == first.seq
    assert sequencer_health() == "ok"
    manifest = offline_verify.verify_file(export_file(tmp_path))
    assert manifest["checkpoint"]["prev_seq"] == second.prev_seq or manifest["checkpoint"]["seq"] > second.seq


# --- case 5: a restore onto another server --------------------------------------------------------
@postgresql_only
def test_after_a_restore_onto_another_server_new_events_are_sealed_again(sealed):
    """The restored batch rows carry the old server's horizon, far above the new server's
    transaction IDs: new events fell below it and were never sealed."""
    from audit.models import AuditSealBatch

    last = AuditSealBatch.objects.order_by("-last_seq").first()
    assert last is not None and last.system_id
    with tampering() as cursor:  # what pg_restore onto another cluster leaves behind
        cursor.execute(
            "UPDATE audit_auditsealbatch SET horizon = horizon + 1000000000, system_id = '1' WHERE id = %s", [last.pk]
        )
    fresh = record_many(3)
    seal_pending()
    assert AuditSeal.objects.filter(event_id__in=[e.pk for e in fresh]).count() == 3
    newest = AuditSealBatch.objects.order_by("-last_seq").first()
    assert newest is not None and newest.system_id == last.system_id
    assert verify_chain().ok


def test_an_event_left_unsealed_past_the_bound_fails_verification_and_health(sealed, settings):
    import time_machine

    from mynatrust.operations.audit_figures import audit_unsealed_age

    record_many(1)
    assert verify_chain().ok
    assert audit_unsealed_age() == "ok"
    with time_machine.travel(timezone.now() + timedelta(seconds=settings.AUDIT_UNSEALED_MAX_SECONDS + 60)):
        report = verify_chain()
        assert not report.ok
        assert "封印されていません" in report.problems[0].message
        assert audit_unsealed_age() == "error"
