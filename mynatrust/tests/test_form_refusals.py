"""A form refused for its input is an audit event (which form, fields and error codes, who, from
where), and the event never carries what was typed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from audit import tally
from audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_a_refused_sign_up_is_recorded_without_the_values_typed(client):
    response = client.post(
        reverse("registry:signup"),
        {"email": "weak@example.jp", "display_name": "x\u202e", "password1": "12345678", "password2": "12345678"},
        REMOTE_ADDR="192.0.2.7",
    )
    assert response.status_code == 200
    tally.flush(now=timezone.now() + timedelta(minutes=2))
    event = AuditEvent.objects.get(event_type="form.refused")
    assert event.data["form"].endswith("SignUpForm") or "SignUp" in event.data["form"]
    assert {"display_name", "password2"} <= set(event.data["fields"])
    assert "refused_character" in event.data["codes"]["display_name"]
    assert event.actor_kind == "anonymous" and event.ip == "192.0.2.7"
    assert "12345678" not in str(event.data) and "weak@example.jp" not in str(event.data)


def test_a_signed_in_users_refused_form_names_them(client, recipient):
    from validity.tests.conftest import make_organisation

    make_organisation(recipient)
    client.force_login(recipient)
    response = client.post(reverse("validity:check"), {"delegation_id": "not an id"})
    assert response.status_code in (200, 400)
    event = AuditEvent.objects.filter(event_type="form.refused").latest("id")
    assert (event.actor_kind, event.actor_id) == ("recipient", str(recipient.pk))
    assert event.data["fields"] == ["delegation_id"]


def test_a_valid_form_records_no_refusal(client):
    client.post(
        reverse("registry:signup"),
        {
            "email": "ok@example.jp",
            "display_name": "新規 利用者",
            "password1": "x7#Kp2!qLm9@",
            "password2": "x7#Kp2!qLm9@",
        },
    )
    assert not AuditEvent.objects.filter(event_type="form.refused").exists()
