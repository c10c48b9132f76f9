"""Anonymous refusals an attacker can repeat at will (failed sign-ins, invalid sign-up forms,
rejected API keys, lockouts) are counted per client address and minute: one audit event with the
count instead of one permanent row each."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from audit import tally
from audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def flushed(event_type: str) -> list[AuditEvent]:
    tally.flush(now=timezone.now() + timedelta(minutes=2))
    return list(AuditEvent.objects.filter(event_type=event_type).order_by("id"))


def test_failed_sign_ins_are_one_event_per_client_address_and_minute(client, settings):
    settings.AXES_FAILURE_LIMIT = 1000
    settings.ACCOUNT_FAILURE_LIMIT = 1000
    url = reverse("registry:login")
    for i in range(30):
        client.post(url, {"username": f"guess{i}@example.jp", "password": "x"}, REMOTE_ADDR="203.0.113.5")
    for _ in range(3):
        client.post(url, {"username": "other@example.jp", "password": "x"}, REMOTE_ADDR="198.51.100.9")
    events = flushed("auth.login_failed")
    assert sorted((e.ip, e.data["count"]) for e in events) == [("198.51.100.9", 3), ("203.0.113.5", 30)]
    assert all(e.actor_kind == "anonymous" for e in events)


def test_invalid_anonymous_sign_up_forms_are_counted_not_stored_one_by_one(client):
    for i in range(12):
        client.post(reverse("registry:signup"), {"email": f"not-an-address-{i}", "display_name": ""})
    events = [e for e in flushed("form.refused") if e.data["form"].endswith("SignUpForm")]
    assert [e.data["count"] for e in events] == [12]


def test_rejected_api_keys_are_counted_per_client_address(client):
    for _ in range(7):
        client.get("/api/v1/delegations/0000-0000-0000-00/validity", HTTP_AUTHORIZATION="Bearer mt_nope.nope")
    events = flushed("validity.api_key_rejected")
    assert [e.data["count"] for e in events] == [7]
