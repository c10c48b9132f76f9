"""Refused access is on the record (§6.2.1): every 403, and every 404 on the URL of another
tenant's object, is an audit event (actor, path, reason), one per actor, path and minute with a
count, and the log shows no traceback for it."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from audit import tally
from audit.models import AuditEvent
from conftest import make_staff, otp_login

pytestmark = pytest.mark.django_db


def refusals(event_type: str) -> list[AuditEvent]:
    tally.flush(now=timezone.now() + timedelta(minutes=2))
    return list(AuditEvent.objects.filter(event_type=event_type).order_by("id"))


def test_a_forbidden_page_asked_many_times_is_one_event_with_the_count(client, recipient):
    client.force_login(recipient)
    for _ in range(40):
        assert client.get("/app/").status_code == 403
    # One event per minute: two when the requests straddle a minute's end.
    events = refusals("access.denied")
    assert 1 <= len(events) <= 2
    assert sum(event.data["count"] for event in events) == 40
    for event in events:
        assert event.actor_label == recipient.email and event.actor_kind == "recipient"
        assert event.data["path"] == "/app/"
        assert event.data["status"] == 403
        assert event.data["reason"] == "permission_denied"


def test_a_forbidden_admin_page_is_on_the_record(client):
    maintenance = make_staff("maintenance", "maint@staff.example.jp")
    otp_login(client, maintenance)
    url = reverse("admin:audit_auditevent_changelist")
    assert client.get(url).status_code == 403
    [event] = refusals("access.denied")
    assert (event.actor_label, event.data["path"]) == ("maint@staff.example.jp", url)


def test_a_refusal_is_logged_as_one_line_without_a_traceback(client, recipient, caplog):
    client.force_login(recipient)
    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert client.get("/app/").status_code == 403
    records = [r for r in caplog.records if r.name == "django.request"]
    assert records and all(r.exc_info is None and not r.exc_text for r in records)


def test_a_csrf_refusal_is_on_the_record(recipient):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(recipient)
    assert client.post("/recipient/keys/", {}).status_code == 403
    [event] = refusals("access.denied")
    assert event.data["reason"].startswith("csrf")


def test_a_public_page_that_is_not_found_is_not_an_access_event(client, recipient):
    client.force_login(recipient)
    assert client.get("/repository/notices/nope/").status_code == 404
    assert client.get("/no-such-page/").status_code == 404
    assert refusals("access.not_found") == []
