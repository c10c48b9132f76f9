"""The database itself refuses to change or remove audit rows."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from audit import guard
from audit.sealing import seal_pending
from audit.tests.conftest import postgresql_only, record_many


@pytest.fixture
def sealed_log(db):
    record_many(3)
    seal_pending()


@pytest.fixture
def committed_log(transactional_db):
    # TRUNCATE inside the test's own transaction would fail for another reason (pending FK checks).
    record_many(3)
    seal_pending()


@pytest.mark.parametrize(
    "sql",
    [
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
    ],
)
@postgresql_only
def test_raw_sql_cannot_change_the_log_on_postgresql(committed_log, sql):
    with (
        guard.strict(),
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)


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


def test_the_orm_cannot_delete_an_event_either(sealed_log):
    from audit.models import AuditEvent

    with guard.strict(), pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk__in=AuditEvent.objects.values("pk")[:1]).update(event_type="changed")


def test_all_the_triggers_are_in_place(db):
    assert guard.missing_triggers() == []
