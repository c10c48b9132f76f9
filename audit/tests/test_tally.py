"""Repeatable refusals are counted per window and written as one event each (audit.tally)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

import audit
from audit import tally
from audit.models import AuditEvent, AuditTally

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 12, 6, 21, 0, 5, tzinfo=UTC)


def test_a_flood_in_one_minute_becomes_one_event_with_its_count():
    actor = audit.ActorRecord("subscriber", "7", "a@example.jp")
    counts = [
        tally.record_tallied("access.denied", actor=actor, key="GET /x/", at=T0 + timedelta(seconds=i), path="/x/")
        for i in range(50)
    ]
    assert counts == list(range(1, 51))
    assert AuditEvent.objects.filter(event_type="access.denied").count() == 0  # the window is still open
    assert tally.flush(now=T0 + timedelta(seconds=30)) == 0
    assert tally.flush(now=T0 + timedelta(seconds=55)) == 1
    event = AuditEvent.objects.get(event_type="access.denied")
    assert event.data["count"] == 50
    assert event.data["path"] == "/x/"
    assert (event.actor_kind, event.actor_id, event.actor_label) == ("subscriber", "7", "a@example.jp")
    assert event.data["window_start"].startswith("2026-12-06T21:00:00")
    assert event.data["first_at"] < event.data["last_at"]
    assert not AuditTally.objects.exists()
    assert tally.flush(now=T0 + timedelta(minutes=5)) == 0  # written once only


def test_each_minute_each_actor_and_each_key_are_counted_apart():
    a, b = audit.ActorRecord("subscriber", "1", "a"), audit.ActorRecord("subscriber", "2", "b")
    for at in (T0, T0 + timedelta(seconds=10), T0 + timedelta(minutes=1)):
        tally.record_tallied("access.denied", actor=a, key="GET /x/", at=at)
    tally.record_tallied("access.denied", actor=b, key="GET /x/", at=T0)
    tally.record_tallied("access.denied", actor=a, key="GET /y/", at=T0)
    tally.flush(now=T0 + timedelta(minutes=3))
    counts = sorted(
        (e.actor_id, e.data["count"], e.data["window_start"][11:16])
        for e in AuditEvent.objects.filter(event_type="access.denied")
    )
    assert counts == [("1", 1, "21:00"), ("1", 1, "21:01"), ("1", 2, "21:00"), ("2", 1, "21:00")]


def test_anonymous_visitors_are_told_apart_by_client_address():
    for ip in ("192.0.2.1", "192.0.2.1", "192.0.2.2"):
        tally.record_tallied(
            "auth.login_refused", actor=audit.ActorRecord("anonymous", ip=ip), key="/app/login/", at=T0
        )
    tally.flush(now=T0 + timedelta(minutes=2))
    got = sorted((e.ip, e.data["count"]) for e in AuditEvent.objects.filter(event_type="auth.login_refused"))
    assert got == [("192.0.2.1", 2), ("192.0.2.2", 1)]


def test_opening_a_new_window_writes_the_closed_ones():
    actor = audit.ActorRecord("subscriber", "1", "a")
    tally.record_tallied("access.denied", actor=actor, key="k", at=T0)
    tally.record_tallied("access.denied", actor=actor, key="k", at=T0 + timedelta(minutes=2))
    assert AuditEvent.objects.filter(event_type="access.denied").count() == 1
    assert AuditTally.objects.count() == 1


def test_the_sequencer_round_writes_closed_windows(time_machine):
    from django.core.management import call_command

    time_machine.move_to(T0)
    tally.record_tallied("access.denied", actor=audit.ActorRecord("subscriber", "1", "a"), key="k")
    time_machine.move_to(T0 + timedelta(minutes=2))
    call_command("audit_seal")
    event = AuditEvent.objects.get(event_type="access.denied")
    assert event.data["count"] == 1
    assert hasattr(event, "seal")
