"""audit_verify finds every kind of tampering a database superuser could do, and says where."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from audit import chain, signing
from audit.models import AuditCheckpoint, AuditEvent, AuditSeal
from audit.sealing import checkpoint_now, seal_pending
from audit.tests.conftest import postgresql_only, record_many, tampering
from audit.verify import verify_chain


@pytest.fixture
def log(db, settings):
    """Twelve sealed events after whatever the migrations recorded; checkpoints after the 5th, the
    10th and the 12th. Tests name positions relative to it: ``at(k)`` is the k-th event's seq."""
    seal_pending()
    checkpoint_now()
    settings.AUDIT_CHECKPOINT_EVERY = 5
    settings.AUDIT_SEAL_BATCH = 5
    record_many(12)
    seal_pending()
    checkpoint_now()
    global BASE
    BASE = AuditSeal.objects.filter(event__event_type="test.event").order_by("seq").values_list("seq", flat=True)[0] - 1
    return list(AuditSeal.objects.filter(seq__gt=BASE).order_by("seq").values_list("seq", "event_id"))


BASE = 0


def at(k):
    return BASE + k


def first(report):
    assert report.first_problem is not None, "verification passed"
    return report.first_problem


def event_at(k):
    return AuditSeal.objects.get(seq=at(k)).event_id


def test_an_untouched_log_verifies(log):
    report = verify_chain()
    assert report.ok, report.problems
    assert report.entries == at(12)
    assert report.checkpoints == 4  # after the migrations' events, the 5th, the 10th and the head


def test_verify_command_says_so_and_records_the_verification(log):
    call_command("audit_verify")
    event = AuditEvent.objects.filter(event_type="audit.verified").get()
    assert event.data["ok"] is True
    assert event.data["entries"] == at(12)


def test_an_edited_field_is_found_at_its_entry(log):
    with tampering() as cursor:
        cursor.execute("UPDATE audit_auditevent SET actor_label = 'someone else' WHERE id = %s", [event_at(7)])
    report = verify_chain()
    assert first(report).seq == at(7)
    assert "改ざん" in first(report).message


def test_an_edited_data_value_is_found(log):
    with tampering() as cursor:
        cursor.execute("UPDATE audit_auditevent SET data = %s WHERE id = %s", ['{"n": 99}', event_at(3)])
    assert first(verify_chain()).seq == at(3)


def test_a_deleted_middle_row_is_found(log):
    with tampering() as cursor:
        cursor.execute("DELETE FROM audit_auditseal WHERE seq = %s", [at(6)])
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [log[5][1]])
    report = verify_chain()
    assert first(report).seq == at(6)
    assert "削除" in first(report).message


def test_a_deleted_event_behind_its_seal_is_found(log):
    with tampering() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [event_at(4)])
    report = verify_chain()
    assert first(report).seq == at(4)
    assert "イベントの削除" in first(report).message


def test_a_swapped_pair_is_found(log):
    one, two = AuditEvent.objects.get(pk=event_at(8)), AuditEvent.objects.get(pk=event_at(9))
    with tampering() as cursor:
        for target, source in ((one, two), (two, one)):
            cursor.execute(
                "UPDATE audit_auditevent SET data = %s, created_at = %s WHERE id = %s",
                [f'{{"n": {source.data["n"]}}}', source.created_at, target.pk],
            )
    assert first(verify_chain()).seq == at(8)


def test_swapped_seals_are_found(log):
    with tampering() as cursor:
        cursor.execute("UPDATE audit_auditseal SET seq = -1 WHERE seq = %s", [at(2)])
        cursor.execute("UPDATE audit_auditseal SET seq = %s WHERE seq = %s", [at(2), at(3)])
        cursor.execute("UPDATE audit_auditseal SET seq = %s WHERE seq = -1", [at(3)])
    assert first(verify_chain()).seq == at(2)


def test_a_truncated_tail_is_caught_by_the_checkpoint(log):
    with tampering() as cursor:
        for seq, event_id in log[-3:]:
            cursor.execute("DELETE FROM audit_auditseal WHERE seq = %s", [seq])
            cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [event_id])
    report = verify_chain()
    assert not report.ok
    # The checkpoint after the 10th event is the first to say the log once went further.
    assert first(report).seq == at(10)
    assert "末尾の削除" in first(report).message


def test_a_rewritten_chain_is_caught_by_the_checkpoint(log):
    # The tamperer edits entry 3 and recomputes every digest and hash after it; only the signed
    # checkpoints still tell the old head.
    with tampering() as cursor:
        cursor.execute("UPDATE audit_auditevent SET data = %s WHERE id = %s", ['{"n": 99}', event_at(3)])
        prev = AuditSeal.objects.get(seq=at(2)).hash
        from audit.sealing import ROW_FIELDS, entry_of

        for seal in AuditSeal.objects.filter(seq__gte=at(3)).order_by("seq"):
            row = AuditEvent.objects.filter(pk=seal.event_id).values_list(*ROW_FIELDS).get()
            entry, float_free = entry_of(row)
            digest = chain.entry_digest(entry, float_free=float_free)
            new = chain.chain_hash(prev, digest)
            cursor.execute(
                "UPDATE audit_auditseal SET digest = %s, prev_hash = %s, hash = %s WHERE seq = %s",
                [digest, prev, new, seal.seq],
            )
            prev = new
    report = verify_chain()
    assert first(report).seq == at(5)
    assert "チェックポイント" in first(report).message


def test_a_forged_checkpoint_is_found(log):
    forger = signing.load_private_key(signing.generate_private_key_pem())
    forged = AuditCheckpoint(
        seq=at(30), head_hash="ab" * 32, signed_at=AuditCheckpoint.objects.get(seq=at(10)).signed_at
    )
    forged.key_id = signing.key_id(forger.public_key())
    forged.signature = signing.sign(forger, forged.payload())
    forged.save()
    report = verify_chain()
    assert first(report).seq == at(30)
    assert "署名" in first(report).message


def test_an_edited_checkpoint_fails_its_signature(log):
    with tampering() as cursor:
        cursor.execute("UPDATE audit_auditcheckpoint SET head_hash = %s WHERE seq = %s", ["cd" * 32, at(10)])
    assert first(verify_chain()).seq == at(10)


def test_the_verify_command_fails_loudly_and_still_records_the_result(log):
    with tampering() as cursor:
        cursor.execute("UPDATE audit_auditevent SET event_type = 'auth.nothing' WHERE id = %s", [event_at(2)])
    with pytest.raises(CommandError, match=r"監査ログの検証に失敗しました。#\d+–#\d+: 記録 \d+ 件"):
        call_command("audit_verify")
    event = AuditEvent.objects.filter(event_type="audit.verified").get()
    assert event.data["ok"] is False
    assert event.data["problems"][0].startswith(f"#{at(2)}")


def test_a_range_is_verified_on_its_own(log):
    report = verify_chain(at(4), at(8))
    assert report.ok
    assert (report.from_seq, report.to_seq, report.entries) == (at(4), at(8), 5)


@postgresql_only
def test_a_parallel_verification_finds_the_same_problems(transactional_db, settings, monkeypatch):
    from audit import verify

    monkeypatch.setattr(verify, "PARALLEL_MIN", 10)
    record_many(40)
    seal_pending()
    checkpoint_now()
    report = verify_chain(workers=3)
    assert report.ok, report.problems
    assert report.entries == AuditSeal.objects.count()
    last = report.to_seq
    # Across the boundary between the second and the third part, and inside the third part.
    victims = [last - last // 3 + 1, last - 2]
    with tampering() as cursor:
        cursor.execute("DELETE FROM audit_auditseal WHERE seq = %s", [victims[0]])
        cursor.execute(
            "UPDATE audit_auditevent SET event_type = 'x' WHERE id = %s",
            [AuditSeal.objects.get(seq=victims[1]).event_id],
        )
    assert first(verify_chain(workers=3)).seq == victims[0]
    assert first(verify_chain(victims[0] + 2, None, workers=3)).seq == victims[1]


def test_after_a_truncated_tail_new_events_do_not_take_the_lost_positions(log):
    with tampering() as cursor:
        for seq, event_id in log[-3:]:
            cursor.execute("DELETE FROM audit_auditseal WHERE seq = %s", [seq])
            cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [event_id])
    record_many(2)
    assert seal_pending().head_seq == at(14)
    problem = first(verify_chain())
    assert problem.seq == at(10)
    assert "削除" in problem.message
