"""Acknowledging a restore older than the last signed audit head: requested by the service manager,
confirmed by the auditor (another person), each proven on the command line by their authenticator;
every refusal on the record; the loss named by every verification afterwards. The restore itself, onto
a second PostgreSQL server, is in test_restore_elsewhere.py; here the database keeps its place and
the head file outside it is moved on, which is what the key host sees after such a restore."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command

import audit
from audit import heads
from audit.models import AuditCheckpoint, AuditEvent
from audit.sealing import checkpoint_now, seal_pending
from audit.verify import verify_chain
from conftest import make_staff
from mynatrust.operations import restores
from mynatrust.operations.audit_figures import audit_signed_head
from mynatrust.tests.test_restore_elsewhere import key_host  # noqa: F401  (the checkpoint key fixture)

pytestmark = pytest.mark.django_db


def _record(count: int) -> None:
    for n in range(count):
        audit.record("test.event", actor=audit.SYSTEM, n=n)


@pytest.fixture
def head_file(key_host: Any) -> Path:  # noqa: F811
    _record(5)
    seal_pending()
    checkpoint_now()
    return Path(key_host.AUDIT_HEAD_STATE_PATH)


@pytest.fixture
def older_restore(head_file: Path) -> heads.Head:
    """The key host signed four more entries after the backup this database was restored from."""
    signed = heads.read(head_file)
    assert signed is not None
    later = heads.Head(signed.seq + 4, "ab" * 32, signed.time, signed.key_id)
    heads.write(head_file, later)
    _record(3)
    seal_pending()
    return later


@pytest.fixture
def people(db: Any) -> dict[str, Any]:
    return {
        "manager": make_staff("service_manager", "manager@staff.example.jp"),
        "auditor": make_staff("auditor", "auditor@staff.example.jp"),
        "administrator": make_staff("service_administrator", "admin@staff.example.jp"),
    }


def _refusals(event_type: str) -> list[str]:
    return [e.data["reason"] for e in AuditEvent.objects.filter(event_type=event_type).order_by("id")]


def test_signing_stays_refused_until_the_loss_is_acknowledged_and_the_gap_stays_on_record(
    older_restore, people, settings
):
    before = AuditCheckpoint.objects.count()
    _record(2)
    seal_pending()
    assert AuditCheckpoint.objects.count() == before  # nothing signed over the restored log
    assert audit_signed_head() == "error"
    assert not verify_chain().ok

    request = restores.request_acknowledgement(actor=people["manager"], reason="月次の復元訓練（台帳 2026-12）")
    anchor = AuditCheckpoint.objects.order_by("-seq").first()
    assert anchor is not None
    assert request.data["lost_from"] == anchor.seq + 1 and request.data["lost_to"] == older_restore.seq
    done = restores.acknowledge(request.pk, actor=people["auditor"])

    assert done.event_type == "audit.restore_loss_acknowledged"
    assert done.data["requested_by"] == people["manager"].email and done.data["request_id"] == request.pk
    rebased = heads.read(Path(settings.AUDIT_HEAD_STATE_PATH))
    assert rebased is not None and (rebased.seq, rebased.head) == (anchor.seq, anchor.head_hash)
    checkpoint = checkpoint_now()
    assert checkpoint is not None and checkpoint.prev_seq == anchor.seq and checkpoint.prev_head == anchor.head_hash
    assert audit_signed_head() == "ok"
    report = verify_chain()
    assert report.ok, report.problems
    assert len(report.losses) == 1 and f"#{anchor.seq + 1}–#{older_restore.seq}" in report.losses[0]
    assert restores.pending_requests() == []


def test_the_admin_verification_shows_an_acknowledged_loss(older_restore, people, client):
    from django.urls import reverse

    from conftest import otp_login

    request = restores.request_acknowledgement(actor=people["manager"], reason="復元")
    restores.acknowledge(request.pk, actor=people["auditor"])
    otp_login(client, people["auditor"])
    page = client.post(reverse("admin:audit_auditevent_verify"), {"from_seq": "", "to_seq": ""}).content.decode()
    assert "確認済みの欠落" in page
    assert f"–#{older_restore.seq}: 署名済みの記録が古いバックアップからの復元で失われました" in page


def test_only_the_service_manager_requests_with_a_reason(older_restore, people):
    for who in ("auditor", "administrator"):
        with pytest.raises(restores.RestoreError) as refused:
            restores.request_acknowledgement(actor=people[who], reason="復元")
        assert refused.value.code == "role"
    with pytest.raises(restores.RestoreError) as refused:
        restores.request_acknowledgement(actor=people["manager"], reason="  \n")
    assert refused.value.code == "no_reason"
    assert _refusals("audit.restore_loss_request_refused") == ["role", "role", "no_reason"]
    assert not AuditEvent.objects.filter(event_type="audit.restore_loss_requested").exists()


def test_only_an_auditor_confirms_a_pending_request_of_someone_else(older_restore, people, settings):
    request = restores.request_acknowledgement(actor=people["manager"], reason="復元")
    for who in ("manager", "administrator"):
        with pytest.raises(restores.RestoreError) as refused:
            restores.acknowledge(request.pk, actor=people[who])
        assert refused.value.code == "role"
    with pytest.raises(restores.RestoreError) as refused:
        restores.acknowledge(request.pk + 1000, actor=people["auditor"])
    assert refused.value.code == "no_request"
    # The requester, appointed auditor since, still may not confirm their own request.
    people["manager"].groups.set([Group.objects.get(name="auditor")])
    with pytest.raises(restores.RestoreError) as refused:
        restores.acknowledge(request.pk, actor=people["manager"])
    assert refused.value.code == "own_request"
    assert _refusals("audit.restore_loss_acknowledge_refused") == ["role", "role", "no_request", "own_request"]
    assert heads.read(Path(settings.AUDIT_HEAD_STATE_PATH)) == older_restore  # nothing re-based


def test_a_request_lapses_when_the_state_changes_or_after_a_day(older_restore, people, settings):
    import time_machine
    from django.utils import timezone

    request = restores.request_acknowledgement(actor=people["manager"], reason="復元")
    path = Path(settings.AUDIT_HEAD_STATE_PATH)
    heads.write(path, heads.Head(older_restore.seq + 1, "cd" * 32))  # the key host signed again meanwhile
    with pytest.raises(restores.RestoreError) as refused:
        restores.acknowledge(request.pk, actor=people["auditor"])
    assert refused.value.code == "changed"
    request = restores.request_acknowledgement(actor=people["manager"], reason="復元")
    later = timezone.now() + timedelta(hours=restores.REQUEST_HOURS, minutes=1)
    with time_machine.travel(later), pytest.raises(restores.RestoreError) as refused:
        restores.acknowledge(request.pk, actor=people["auditor"])
    assert refused.value.code == "no_request"


def test_there_is_nothing_to_acknowledge_while_the_log_extends_the_signed_head(head_file, people):
    with pytest.raises(restores.RestoreError) as refused:
        restores.request_acknowledgement(actor=people["manager"], reason="復元")
    assert refused.value.code == "no_loss"


def test_a_log_that_fails_verification_on_its_own_is_not_a_restore_to_acknowledge(older_restore, people):
    from audit.tests.conftest import tampering

    with tampering() as cursor:
        cursor.execute(
            "UPDATE audit_auditevent SET data = '{\"n\": 99}' WHERE id = (SELECT min(id) FROM audit_auditevent)"
        )
    with pytest.raises(restores.RestoreError) as refused:
        restores.request_acknowledgement(actor=people["manager"], reason="復元")
    assert refused.value.code == "unprovable"


def test_the_command_asks_each_person_for_their_authenticator_code(older_restore, people, monkeypatch):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from delegations.tests.test_trust_anchors import code_for

    out = StringIO()
    call_command("audit_restore", "status", stdout=out)
    assert f"署名された先頭 #{older_restore.seq}" in out.getvalue()
    monkeypatch.setenv("MYNATRUST_OTP_CODE", "000000")
    with pytest.raises(CommandError, match="認証アプリのコードが違う"):
        call_command("audit_restore", "request", "--as", people["manager"].email, "--reason", "復元", stdout=out)
    assert _refusals("auth.cli_refused") == ["bad_code"]
    TOTPDevice.objects.update(throttling_failure_count=0, throttling_failure_timestamp=None)
    monkeypatch.setenv("MYNATRUST_OTP_CODE", code_for(people["manager"]))
    call_command("audit_restore", "request", "--as", people["manager"].email, "--reason", "復元", stdout=out)
    request = AuditEvent.objects.get(event_type="audit.restore_loss_requested")
    assert request.data["entry_point"]["entry"] == "cli"
    monkeypatch.setenv("MYNATRUST_OTP_CODE", code_for(people["auditor"]))
    call_command("audit_restore", "acknowledge", str(request.pk), "--as", people["auditor"].email, stdout=out)
    assert "の欠落を確認しました" in out.getvalue()
    assert audit_signed_head() == "ok"
