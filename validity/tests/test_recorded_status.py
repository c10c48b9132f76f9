"""The status the audit log records is computed by the database (validity.lookup.STATUS_SQL, in the
statement that reads the delegation); the answer's by validity.answer.status_at. They must agree at
every instant, above all around the edges: midnight in Japan at both ends of the period, the instant
of a revocation or a replacement. So must the digest comparison."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

import audit
from audit.models import AuditEvent
from mynatrust.lib import delegation_id as ids
from validity import lookup
from validity.answer import JST, digest_matches, starts_at, status_at

from .conftest import facts

pytestmark = pytest.mark.django_db

FROM, UNTIL = date(2026, 4, 1), date(2027, 3, 31)
ENDED = datetime(2026, 6, 1, 10, tzinfo=JST)  # a revocation or a replacement
TICK = timedelta(microseconds=1)


def instants() -> list[datetime]:
    edges = [starts_at(FROM), starts_at(UNTIL + timedelta(days=1)), ENDED, starts_at(UNTIL)]
    around = [edge + step for edge in edges for step in (-timedelta(seconds=1), -TICK, timedelta(0), TICK)]
    # The same instants written in other zones: only the instant may matter, never its zone.
    return around + [moment.astimezone(zone) for moment in around[::3] for zone in (UTC, NEW_YORK)]


NEW_YORK = ZoneInfo("America/New_York")

VARIANTS: dict[str, dict[str, Any]] = {
    "active": {},
    "revoked": {"revoked_at": ENDED},
    "superseded": {"superseded_at": ENDED, "superseded": True},
    "revoked after superseded": {"superseded_at": ENDED - timedelta(days=1), "superseded": True, "revoked_at": ENDED},
    "one-day period": {"valid_from": UNTIL, "valid_until": UNTIL},
}


def test_the_recorded_status_is_the_answered_status_at_every_edge(stored):
    checked = 0
    for label, changes in VARIANTS.items():
        changes = dict(changes)
        delegation_id = ids.generate()
        if changes.pop("superseded", False):
            changes["superseded_by"] = ids.generate()
        stored(facts(delegation_id, valid_from=changes.pop("valid_from", FROM), **changes))
        for at, digest in itertools.product(instants(), (None, "ab" * 32, "cd" * 32)):
            row, event_id = audit.record_reading(
                "validity.query",
                actor=audit.ANONYMOUS,
                reading=lookup.reading(delegation_id, checked_at=at, digest=digest),
                at=at,
            )
            found = lookup.facts_from(row)
            assert found is not None
            expected = status_at(found, at).value
            assert (label, at, row["status"]) == (label, at, expected)
            stored_data = AuditEvent.objects.get(pk=event_id).data  # as the statement stored it
            assert stored_data["status"] == expected
            match = digest_matches(found.signed_file_sha256, digest) if digest is not None else None
            assert row["digest_match"] is match and stored_data["digest_match"] is match
            checked += 1
    assert checked == len(VARIANTS) * len(instants()) * 3


def test_an_unknown_id_is_recorded_unknown_with_no_digest_verdict():
    row, event_id = audit.record_reading(
        "validity.query",
        actor=audit.ANONYMOUS,
        reading=lookup.reading(ids.generate(), checked_at=starts_at(FROM), digest="ab" * 32),
    )
    assert lookup.facts_from(row) is None
    assert (row["status"], row["digest_match"]) == ("unknown", None)
    stored_data = AuditEvent.objects.get(pk=event_id).data
    assert (stored_data["status"], stored_data["digest_match"]) == ("unknown", None)


def test_a_verdict_that_differs_from_the_record_stands_and_is_recorded_as_a_mismatch(stored, monkeypatch):
    from validity import answer, services
    from validity.answer import Status

    delegation_id = ids.generate()
    stored(facts(delegation_id, valid_from=date(2020, 1, 1), valid_until=date(2099, 12, 31)))
    monkeypatch.setattr(answer, "status_at", lambda _facts, _at: Status.EXPIRED)  # the two disagree
    query = services.answer_query(
        delegation_id, sha256=None, organisation=None, actor=audit.ANONYMOUS, channel="anonymous"
    )
    assert query.status is Status.EXPIRED  # the answer stands
    recorded = AuditEvent.objects.get(event_type="validity.query", subject_id=delegation_id)
    mismatch = AuditEvent.objects.get(event_type="validity.query_mismatch", subject_id=delegation_id)
    assert recorded.data["status"] == "valid"
    assert mismatch.data["event_id"] == recorded.pk
    assert mismatch.data["recorded"] == {"status": "valid", "digest_match": None}
    assert mismatch.data["answered"] == {"status": "expired", "digest_match": None}


def test_an_answer_that_agrees_with_its_record_records_no_mismatch(stored):
    from validity import services

    delegation_id = ids.generate()
    stored(facts(delegation_id, valid_from=date(2020, 1, 1), valid_until=date(2099, 12, 31)))
    query = services.answer_query(
        delegation_id, sha256="ab" * 32, organisation=None, actor=audit.ANONYMOUS, channel="anonymous"
    )
    assert query.status.value == "valid" and query.document["digest_match"] is True
    assert not AuditEvent.objects.filter(event_type="validity.query_mismatch").exists()
