"""The whole attack set of a database holder, each from the same sealed, checkpointed, witnessed
log, and what finds it. Prints the table (run with -s, or ``python bench/audit_attacks.py``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

import audit
from audit import offline_verify, signing
from audit.export import Filters
from audit.models import AuditCheckpoint, AuditEvent, AuditSeal
from audit.sealing import checkpoint_now, seal_pending
from audit.services import AuditError, stream_export
from audit.tests.conftest import acting_as, postgresql_only, record_many, tampering
from audit.tests.test_database_holder import rewrite_from
from audit.verify import verify_chain
from mynatrust.tests.clusters import cluster  # noqa: F401  (the private cluster fixture)


class Rollback(Exception):
    pass


def nth_test_event(n: int) -> AuditSeal:
    return AuditSeal.objects.filter(event__event_type="test.event").order_by("seq")[n]


def truncate_with_the_setting() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('audit.allow_flush', 'on', true)")
        cursor.execute("TRUNCATE audit_auditevent, audit_auditseal, audit_auditcheckpoint CASCADE")


def empty_as_superuser() -> None:
    from audit import guard

    with tampering() as cursor:
        for table in guard.TABLES:
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608  (constants only)


def rewrite_keeping_checkpoints() -> None:
    rewrite_from(nth_test_event(2).seq)


def rewrite_deleting_later_checkpoints() -> None:
    k = nth_test_event(2).seq
    rewrite_from(k)
    with tampering() as cursor:
        cursor.execute("DELETE FROM audit_auditcheckpoint WHERE seq >= %s", [k])


def rewrite_with_the_key_host_too(settings: object) -> Callable[[], None]:
    def attack() -> None:
        rewrite_deleting_later_checkpoints()
        Path(settings.AUDIT_HEAD_STATE_PATH).unlink()  # type: ignore[attr-defined]
        record_many(1)
        checkpoint_now()  # signs the forged chain: the sequencer's memory is gone

    return attack


def delete_behind_a_seal() -> None:
    with tampering() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [nth_test_event(2).event_id])


def reinsert_under_a_new_id() -> None:
    seal = nth_test_event(2)
    with tampering() as cursor:
        cursor.execute(
            "INSERT INTO audit_auditevent (created_at, event_type, actor_kind, actor_id, actor_label, subject_type, "
            "subject_id, data, request_id, ip, user_agent, txid) SELECT created_at, event_type, actor_kind, actor_id, "
            "actor_label, subject_type, subject_id, data, request_id, ip, user_agent, txid FROM audit_auditevent "
            "WHERE id = %s RETURNING id",
            [seal.event_id],
        )
        new_id = cursor.fetchone()[0]
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [seal.event_id])
        cursor.execute("UPDATE audit_auditseal SET event_id = %s WHERE seq = %s", [new_id, seal.seq])


def forged_far_checkpoint() -> None:
    head = AuditSeal.objects.order_by("-seq").values_list("seq", flat=True)[0]
    AuditCheckpoint.objects.create(
        seq=head + 1_000_000, head_hash="f" * 64, signed_at=timezone.now(), key_id="x", signature="x"
    )


def replica_trigger() -> None:
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE audit_auditevent ENABLE REPLICA TRIGGER audit_auditevent_no_delete")


def detect(attack: Callable[[], None], tmp: Path, role: str | None = None) -> list[str]:
    """Make the attack (as ``role``, or as the superuser the harness connects as), then ask each
    defence in turn; the service's own work runs as before."""
    found: list[str] = []
    try:
        with transaction.atomic(), acting_as(role):
            attack()
    except DatabaseError as err:
        # The triggers refuse with "append-only"; privileges with "permission denied" / "must be owner".
        return ["refused" if "append-only" in str(err) else "refused (privileges)"]
    if not verify_chain().ok:
        found.append("verify")
    record_many(1)
    checkpoint_now()  # the sequencer is asked to sign what is there now
    try:
        _plan, chunks = stream_export(Filters(), "jsonl", actor=audit.SYSTEM, evidence=True)
        path = tmp / "export.zip"
        path.write_bytes(b"".join(chunks))
        offline_verify.verify_file(path)
        kept = tmp / "kept.zip"
        if offline_verify.main([str(path), "--since", str(kept)]) != 0:
            found.append("offline")
    except (AuditError, offline_verify.Invalid):
        found.append("offline")
    if AuditEvent.objects.filter(event_type="audit.checkpoint_refused").exists():
        found.append("refused")
    try:
        call_command("audit_witness", "--local")
    except CommandError:
        found.append("witness")
    return found


Attack = tuple[str, str, Callable[[], None], set[str]]


def attacks_of(settings: Any, role: str | None) -> list[Attack]:
    """(case, expected, attack, what must find it). Made as the runtime role of the two-role split
    (docs/runbook.md §2.1), every change of a row, switch of a trigger or setting only a superuser
    may change is refused on privileges; what that role may still do is append, and a forged
    checkpoint row is appended: verification finds it."""
    as_superuser: list[Attack] = [
        ("1 TRUNCATE with SET audit.allow_flush", "refused", truncate_with_the_setting, {"refused"}),
        ("1 log emptied by a superuser", "verify, refused", empty_as_superuser, {"verify", "refused"}),
        ("2 mid-log rewrite, checkpoints kept", "verify, offline", rewrite_keeping_checkpoints, {"verify"}),
        (
            "2 mid-log rewrite, later checkpoints deleted",
            "verify, offline",
            rewrite_deleting_later_checkpoints,
            {"verify", "offline"},
        ),
        (
            "2 rewrite + key host (head file wiped)",
            "witness, offline --since",
            rewrite_with_the_key_host_too(settings),
            {"witness", "offline"},
        ),
        ("3 event row deleted behind its seal", "verify, offline", delete_behind_a_seal, {"verify", "offline"}),
        ("3 event re-inserted under a new id", "verify, offline", reinsert_under_a_new_id, {"verify", "offline"}),
        ("4 forged checkpoint far past the head", "verify (sealing goes on)", forged_far_checkpoint, {"verify"}),
        ("6 guard trigger ENABLE REPLICA", "verify", replica_trigger, {"verify"}),
    ]
    if role is None:
        return as_superuser
    as_runtime: list[Attack] = []
    for name, _expected, attack, _must in as_superuser:
        if name.startswith("4 "):
            as_runtime.append((name, "verify (a row appended)", attack, {"verify"}))
        else:
            as_runtime.append((name, "refused (privileges)", attack, {"refused (privileges)"}))
    return as_runtime


def attack_table(settings: Any, tmp_path_factory: Any, role: str | None) -> list[tuple[str, str, str]]:
    rows = []
    for name, expected, attack, must in attacks_of(settings, role):
        tmp = tmp_path_factory.mktemp("attack")
        witness_key = tmp / "witness.pem"
        witness_key.write_bytes(signing.generate_private_key_pem())
        settings.AUDIT_HEAD_STATE_PATH = str(tmp / "head.json")
        settings.AUDIT_WITNESS_KEY_PATH = str(witness_key)
        settings.AUDIT_WITNESS_STATE_PATH = str(tmp / "witness-head.json")
        found: list[str] = []
        try:
            with transaction.atomic():
                record_many(6)
                seal_pending()
                checkpoint_now()
                call_command("audit_witness", "--local")
                _plan, chunks = stream_export(Filters(), "jsonl", actor=audit.SYSTEM)
                (tmp / "kept.zip").write_bytes(b"".join(chunks))
                found = detect(attack, tmp, role)
                raise Rollback
        except Rollback:
            pass
        rows.append((name, expected, ", ".join(found) or "NOT DETECTED"))
        assert must <= set(found), (name, found)
    width = max(len(r[0]) for r in rows)
    lines = [f"{'case':<{width}}  {'expected':<26}  detected by", "-" * (width + 50)]
    lines += [f"{n:<{width}}  {e:<26}  {d}" for n, e, d in rows]
    print(f"\nas {role or 'the superuser'}:\n" + "\n".join(lines))
    return rows


@postgresql_only
def test_every_attack_of_a_database_holder_is_refused_or_found(db, settings, tmp_path_factory, attacker_role):
    attack_table(settings, tmp_path_factory, attacker_role)


# --- case 5: restores onto a second PostgreSQL server (started here with initdb) -----------------------
RESTORED_FACTS = """
import json
from audit.models import AuditEvent
from audit.public import head_problem
print(json.dumps({
    "unsealed": AuditEvent.objects.unsealed().count(),
    "server_changed": AuditEvent.objects.filter(event_type="audit.server_changed").count(),
    "refused": AuditEvent.objects.filter(event_type="audit.checkpoint_refused").count(),
    "head_problem": head_problem(),
}))
"""


def restored_detection(service: Any) -> list[str]:
    """What finds a restore on the restored database: the sequencer's refusal, audit_verify, the
    witness (which kept the last head it cosigned)."""
    import json

    from mynatrust.tests.test_restore_elsewhere import RECORD

    service.manage("shell", "-c", RECORD)
    service.manage("audit_seal")
    service.manage("audit_seal")  # a refusal recorded by the first round is sealed by the second
    facts = json.loads(service.manage("shell", "-c", RESTORED_FACTS).stdout.strip().splitlines()[-1])
    found = ["noticed"] if facts["server_changed"] else []
    found += [] if facts["unsealed"] else ["sealed"]
    found += ["refused"] if facts["refused"] else []
    found += ["verify"] if service.manage("audit_verify", check=False).returncode else []
    found += ["witness"] if service.manage("audit_witness", "--local", check=False).returncode else []
    return found


@postgresql_only
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_restore_onto_another_server_goes_on_and_a_rollback_is_found(settings, tmp_path, cluster):  # noqa: F811
    from bench import soak
    from mynatrust.operations import backup
    from mynatrust.tests.test_restore_elsewhere import Service

    key = tmp_path / "checkpoint.pem"
    key.write_bytes(signing.generate_private_key_pem())
    witness_key = tmp_path / "witness.pem"
    witness_key.write_bytes(signing.generate_private_key_pem())
    settings.AUDIT_CHECKPOINT_KEY_PATH = str(key)
    settings.AUDIT_CHECKPOINT_EVERY = 1
    settings.AUDIT_ARCHIVE_DIR = str(tmp_path / "archive")
    settings.AUDIT_WITNESS_KEY_PATH = str(witness_key)
    settings.AUDIT_WITNESS_STATE_PATH = str(tmp_path / "witness-head.json")

    def signed_and_witnessed(count: int) -> None:
        record_many(count)
        seal_pending()
        checkpoint_now()
        call_command("audit_witness", "--local")

    signed_and_witnessed(6)
    record_many(2)  # committed, not yet sealed when the backup is taken
    taken = backup.create_backup(tmp_path / "backups")
    state = [Path(settings.AUDIT_HEAD_STATE_PATH), Path(settings.AUDIT_WITNESS_STATE_PATH)]

    def restored(name: str, expected: str) -> list[str]:
        kept = [path.read_bytes() for path in state]
        with soak.database(cluster.url, "mynatrust_attack_restore") as url:
            backup.restore_backup(taken, url)
            service = Service(url, settings)
            service.env["AUDIT_WITNESS_KEY_PATH"] = settings.AUDIT_WITNESS_KEY_PATH
            service.env["AUDIT_WITNESS_STATE_PATH"] = settings.AUDIT_WITNESS_STATE_PATH
            found = restored_detection(service)
        for path, content in zip(state, kept, strict=True):  # the source service's key host goes on
            path.write_bytes(content)
        rows.append((name, expected, ", ".join(found) or "NOT DETECTED"))
        return found

    rows: list[tuple[str, str, str]] = []
    # As new as the last signed and cosigned head: the service goes on there.
    found = restored("5 restore onto another server, as new as the signed head", "noticed, sealed (verify passes)")
    assert found == ["noticed", "sealed"], found
    # The service signs and the witness cosigns past the backup; then the backup is restored.
    signed_and_witnessed(3)
    found = restored("5 rollback: restore older than the signed head", "refused, verify, witness")
    assert {"noticed", "sealed", "refused", "verify", "witness"} <= set(found), found
    width = max(len(r[0]) for r in rows)
    lines = [f"{'case':<{width}}  {'expected':<31}  found by", "-" * (width + 55)]
    lines += [f"{n:<{width}}  {e:<31}  {d}" for n, e, d in rows]
    print("\n" + "\n".join(lines))
