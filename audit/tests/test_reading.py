"""audit.record_reading: a read and its event in one statement, and the guard that may withhold it."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

import audit
from audit.models import AuditEvent


@pytest.fixture
def group(db):
    return Group.objects.create(name="読み取り対象")


def _reading(group_id: int, guard: str | None = None) -> audit.Reading:
    return audit.Reading(
        sql="SELECT id, name FROM auth_group WHERE id = %(group)s",
        params={"group": group_id, "wanted": "読み取り対象"},
        fields={"matches": ("found.name = %(wanted)s", bool)},
        guard=guard,
    )


def test_the_event_carries_what_the_read_computed(group):
    row, event_id = audit.record_reading("test.read", actor=audit.SYSTEM, reading=_reading(group.pk), note="a")
    assert row["name"] == "読み取り対象" and row["matches"] is True
    event = AuditEvent.objects.get(pk=event_id)
    assert event.event_type == "test.read" and event.data == {"note": "a", "matches": True}


def test_a_guard_that_holds_lets_the_event_be_appended(group):
    guard = "EXISTS (SELECT 1 FROM auth_group WHERE name = %(wanted)s)"
    _row, event_id = audit.record_reading("test.read", actor=audit.SYSTEM, reading=_reading(group.pk, guard))
    assert event_id is not None and AuditEvent.objects.filter(pk=event_id).exists()


def test_a_guard_that_fails_writes_nothing_and_says_so(group):
    before = AuditEvent.objects.count()
    guard = "NOT EXISTS (SELECT 1 FROM auth_group WHERE name = %(wanted)s)"
    row, event_id = audit.record_reading("test.read", actor=audit.SYSTEM, reading=_reading(group.pk, guard))
    assert event_id is None
    assert row["name"] == "読み取り対象"  # read all the same; the caller decides what it is worth
    assert AuditEvent.objects.count() == before


def test_nothing_found_is_a_row_of_nulls_and_still_an_event(db):
    row, event_id = audit.record_reading("test.read", actor=audit.SYSTEM, reading=_reading(-1))
    assert row["id"] is None and row["matches"] is None
    assert AuditEvent.objects.get(pk=event_id).data == {"matches": None}


def test_the_statement_is_built_once_per_reading(group):
    from django.db import connection

    from audit import recorder

    if connection.vendor != "postgresql":
        pytest.skip("one statement on PostgreSQL only")
    before = recorder._reading_statement.cache_info()
    for _ in range(3):
        audit.record_reading("test.read", actor=audit.SYSTEM, reading=_reading(group.pk, "TRUE"))
    assert recorder._reading_statement.cache_info().hits - before.hits >= 2
