"""The database itself refuses to change or remove audit rows: to the superuser the harness connects
as, by the append-only triggers; to the application's runtime role (docs/runbook.md §2.1), already on
its privileges, and that role cannot switch the triggers off either."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from audit import guard
from audit.sealing import seal_pending
from audit.tests.conftest import acting_as, postgresql_only, record_many


@pytest.fixture
def sealed_log(db):
    record_many(3)
    seal_pending()


@pytest.fixture
def committed_log(transactional_db):
    # TRUNCATE inside the test's own transaction would fail for another reason (pending FK checks).
    record_many(3)
    seal_pending()


POSTGRESQL_CHANGES = [
    "UPDATE audit_auditevent SET event_type = 'x'",
    "DELETE FROM audit_auditevent",
    "TRUNCATE audit_auditevent CASCADE",
    "UPDATE audit_auditseal SET hash = 'x'",
    "DELETE FROM audit_auditseal",
    "TRUNCATE audit_auditseal CASCADE",
    "UPDATE audit_auditcheckpoint SET head_hash = 'x'",
    "DELETE FROM audit_auditcheckpoint",
    "TRUNCATE audit_auditcheckpoint",
    "TRUNCATE audit_auditsegment",
]


@pytest.mark.parametrize("sql", POSTGRESQL_CHANGES)
@postgresql_only
def test_raw_sql_cannot_change_the_log_on_postgresql(committed_log, sql):
    with (
        guard.strict(),
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)


@pytest.mark.parametrize("sql", POSTGRESQL_CHANGES)
@postgresql_only
def test_the_runtime_role_may_not_change_the_log_at_all(sealed_log, runtime_role, sql):
    """Refused on privileges, before any trigger (and before TRUNCATE's foreign-key checks, so the
    test's own transaction will do)."""
    with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic(), acting_as(runtime_role):
        connection.cursor().execute(sql)


@pytest.mark.parametrize(
    ("sql", "refusal"),
    [
        ("ALTER TABLE audit_auditevent DISABLE TRIGGER USER", "must be owner"),
        ("ALTER TABLE audit_auditseal DISABLE TRIGGER audit_auditseal_no_delete", "must be owner"),
        ("ALTER TABLE audit_auditevent ENABLE REPLICA TRIGGER audit_auditevent_no_delete", "must be owner"),
        ("DROP TRIGGER audit_auditevent_no_update ON audit_auditevent", "must be owner"),
        ("SET session_replication_role = replica", "permission denied"),
        ("SELECT set_config('session_replication_role', 'replica', true)", "permission denied"),
        ("INSERT INTO audit_prune_permit (txid) VALUES (pg_current_xact_id()::text::bigint)", "permission denied"),
        ("SELECT count(*) FROM audit_prune_permit", "permission denied"),
        ("INSERT INTO audit_auditsegment (first_seq) VALUES (1)", "permission denied"),
        (
            "CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE sql AS 'SELECT NULL'",
            "permission denied|must be owner",
        ),
    ],
)
@postgresql_only
def test_the_runtime_role_cannot_switch_the_guard_off(sealed_log, runtime_role, sql, refusal):
    """What a superuser or the owner may do to get past the triggers, refused to the runtime role."""
    with pytest.raises(DatabaseError, match=refusal), transaction.atomic(), acting_as(runtime_role):
        connection.cursor().execute(sql)
    assert guard.missing_triggers() == []


@postgresql_only
def test_the_runtime_role_records_seals_and_verifies(db, runtime_role):
    """The switch is real and the service's own work passes under it."""
    from audit.verify import verify_chain

    with transaction.atomic(), acting_as(runtime_role):
        record_many(3)
        assert seal_pending().sealed >= 3
        assert verify_chain(against_signed_head=False).chain_ok


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditevent SET event_type = 'x'",
        "DELETE FROM audit_auditevent",
        "UPDATE audit_auditseal SET hash = 'x'",
        "DELETE FROM audit_auditseal",
        "DELETE FROM audit_auditcheckpoint",
    ],
)
def test_raw_sql_cannot_change_the_log_on_any_database(sealed_log, sql):
    with (
        guard.strict(),
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)


def test_pruning_does_not_reach_rows_outside_an_archived_segment(sealed_log):
    from audit.models import AuditEvent

    events = AuditEvent.objects.count()
    with guard.strict(), pytest.raises(DatabaseError), transaction.atomic():
        guard.prune_segment(1, 2)
    assert AuditEvent.objects.count() == events


@postgresql_only
def test_the_runtime_role_prunes_only_through_the_checked_function(sealed_log, runtime_role):
    from audit.models import AuditEvent

    events = AuditEvent.objects.count()
    with pytest.raises(DatabaseError, match="no archived segment"), transaction.atomic(), acting_as(runtime_role):
        guard.prune_segment(1, 2)
    with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic(), acting_as(runtime_role):
        connection.cursor().execute("DELETE FROM audit_auditevent")
    assert AuditEvent.objects.count() == events


def test_the_orm_cannot_delete_an_event_either(sealed_log):
    from audit.models import AuditEvent

    with guard.strict(), pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk__in=AuditEvent.objects.values("pk")[:1]).update(event_type="changed")


def test_all_the_triggers_are_in_place(db):
    assert guard.missing_triggers() == []
