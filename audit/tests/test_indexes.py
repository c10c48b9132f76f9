"""The indexes the log is searched by: event types exactly and by namespace, subjects exactly."""

from __future__ import annotations

import pytest
from django.db import connection

from audit.models import AuditEvent

from .conftest import postgresql_only, record_many

pytestmark = [pytest.mark.django_db, postgresql_only]


def _plan(queryset) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a small table: ask whether an index serves
    return str(queryset.explain())


@pytest.mark.parametrize(
    ("lookup", "index"),
    [
        ({"event_type": "test.event"}, "audit_event_type"),
        ({"event_type__startswith": "test."}, "audit_event_type"),
        ({"subject_id": "42"}, "audit_event_subject"),
    ],
)
def test_each_search_of_the_log_has_an_index(lookup, index):
    record_many(3)
    assert index in _plan(AuditEvent.objects.filter(**lookup))


def test_an_event_writes_five_indexes_not_seven():
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_indexes WHERE tablename = 'audit_auditevent'")
        assert cursor.fetchone()[0] == 5
