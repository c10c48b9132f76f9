"""Archive segments for the 10-year media; pruning only what was archived and is past retention."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from datetime import timedelta

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

import audit
from audit import guard, offline_verify
from audit.models import AuditEvent, AuditSeal, AuditSegment
from audit.sealing import seal_pending
from audit.services import archive_log, prune_archived
from audit.tests.conftest import record_many
from audit.verify import verify_chain


@pytest.fixture
def old_and_new(db, settings):
    """Events of today (with whatever the migrations recorded), then the test runs 100 days later."""
    settings.AUDIT_RETENTION_DAYS = 42
    seal_pending()
    record_many(6, "test.old")
    seal_pending()
    with time_machine.travel(timezone.now() + timedelta(days=100)):
        record_many(3, "test.new")
        seal_pending()
        yield


def test_archiving_writes_a_verified_segment_and_records_it(old_and_new, tmp_path):
    result = archive_log(timezone.now() - timedelta(days=50), tmp_path, actor=audit.SYSTEM)
    segment = AuditSegment.objects.get()
    assert (segment.first_seq, segment.last_seq) == (1, result.last_seq)
    assert not AuditSeal.objects.filter(seq__lte=result.last_seq, event__event_type="test.new").exists()
    assert result.path is not None
    manifest = offline_verify.verify_file(result.path)
    assert manifest["to_seq"] == segment.last_seq
    assert manifest["count"] == segment.last_seq
    assert AuditEvent.objects.filter(event_type="audit.archived").count() == 1


def test_pruning_removes_only_archived_rows_past_retention_and_the_log_still_verifies(old_and_new, tmp_path):
    archive_log(timezone.now() - timedelta(days=50), tmp_path, actor=audit.SYSTEM)
    result = prune_archived(actor=audit.SYSTEM)
    assert result.pruned_events >= 6
    assert not AuditEvent.objects.filter(event_type="test.old").exists()
    assert not AuditSeal.objects.filter(seq=1).exists()
    assert AuditEvent.objects.filter(event_type="test.new").count() == 3
    assert AuditEvent.objects.filter(event_type="audit.pruned").count() == 1
    seal_pending()
    report = verify_chain()
    assert report.ok, report.problems


def test_nothing_inside_retention_is_pruned(old_and_new, tmp_path, settings):
    settings.AUDIT_RETENTION_DAYS = 400
    archive_log(timezone.now() - timedelta(days=50), tmp_path, actor=audit.SYSTEM)
    assert prune_archived(actor=audit.SYSTEM).pruned_events == 0
    assert AuditEvent.objects.filter(event_type="test.old").count() == 6


def test_a_forged_segment_row_does_not_hide_pruned_entries(old_and_new, tmp_path):
    archive_log(timezone.now() - timedelta(days=50), tmp_path, actor=audit.SYSTEM)
    prune_archived(actor=audit.SYSTEM)
    from audit.tests.conftest import tampering

    with tampering() as cursor:
        cursor.execute("UPDATE audit_auditsegment SET last_hash = %s", ["ab" * 32])
    report = verify_chain()
    assert not report.ok
    assert "署名" in str(report.first_problem)


def test_the_archive_command_has_a_dry_run(old_and_new, tmp_path, capsys):
    before = (timezone.localdate() - timedelta(days=50)).isoformat()
    call_command("audit_archive", "--before", before, "--out", str(tmp_path), "--prune", "--dry-run")
    out = capsys.readouterr().out
    assert "#1–#" in out and "（試行のみ）" in out
    assert not AuditSegment.objects.exists()
    assert not list(tmp_path.iterdir())
    call_command("audit_archive", "--before", before, "--out", str(tmp_path), "--prune")
    assert re.search(r"書き出し済みセグメントの [1-9]\d* 件を削除しました", capsys.readouterr().out)
    assert len(list(tmp_path.glob("*.zip"))) == 1


def test_without_the_pruning_door_archived_rows_stay(old_and_new, tmp_path):
    archive_log(timezone.now() - timedelta(days=50), tmp_path, actor=audit.SYSTEM)
    with (
        guard.strict(),
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM audit_auditseal WHERE seq = 1")


@pytest.fixture
def full_medium(tmp_path):
    """An archive target with room for 16 kB only: a size-limited tmpfs mounted for the test."""
    target = tmp_path / "medium"
    target.mkdir()
    mount, umount = shutil.which("mount"), shutil.which("umount")
    if not (mount and umount):
        pytest.skip("no mount command here: the full-medium rehearsal needs a small tmpfs")
    mounted = subprocess.run(
        [mount, "-t", "tmpfs", "-o", "size=16k,mode=0700", "tmpfs", str(target)], capture_output=True, text=True
    )
    if mounted.returncode:
        pytest.skip(f"cannot mount a small tmpfs here ({mounted.stderr.strip() or 'mount failed'}): needs root")
    try:
        yield target
    finally:
        if subprocess.run([umount, str(target)], capture_output=True).returncode:
            subprocess.run([umount, "-l", str(target)], check=False)


def test_a_full_archive_medium_is_a_clear_error_and_nothing_is_pruned_or_half_written(
    db, settings, full_medium, tmp_path
):
    settings.AUDIT_RETENTION_DAYS = 42
    # Far more than 16 kB even compressed: random data does not deflate.
    record_many(300, "test.old", noise=os.urandom(96).hex())
    seal_pending()
    with time_machine.travel(timezone.now() + timedelta(days=100)):
        record_many(3, "test.new")
        seal_pending()
        before = (timezone.localdate() - timedelta(days=50)).isoformat()
        events = AuditEvent.objects.count()
        with pytest.raises(CommandError, match="アーカイブファイルを書き出せませんでした") as failed:
            call_command("audit_archive", "--before", before, "--out", str(full_medium), "--prune")
        assert "No space left on device" in str(failed.value)
        assert list(full_medium.iterdir()) == []  # no partial file left behind
        assert not AuditSegment.objects.exists()
        assert AuditEvent.objects.filter(event_type="test.old").count() == 300  # nothing pruned
        failure = AuditEvent.objects.get(event_type="audit.archive_failed")
        assert "No space left on device" in failure.data["problem"]
        assert AuditEvent.objects.count() == events + 1
        seal_pending()
        assert verify_chain().ok
        # With room on the medium the same command archives and prunes as usual.
        roomy = tmp_path / "roomy"
        call_command("audit_archive", "--before", before, "--out", str(roomy), "--prune")
        assert len(list(roomy.glob("*.zip"))) == 1
        assert not AuditEvent.objects.filter(event_type="test.old").exists()
