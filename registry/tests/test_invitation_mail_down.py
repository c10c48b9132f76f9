"""An invitation made while the mail server is down (mynatrust.mail)."""

from __future__ import annotations

import pytest
from django.test import Client

from mynatrust.tests.mail_backends import DOWN, not_sent
from registry.models import Invitation


@pytest.mark.django_db(transaction=True)  # the mail goes after a real commit
def test_an_invitation_made_while_the_mail_server_is_down_is_kept_and_answered_normally(
    active, subscriber_member, settings
):
    settings.MAILERS = DOWN
    client = Client(raise_request_exception=False)
    client.force_login(subscriber_member)
    response = client.post("/app/members/", {"email": "colleague@subscriber-a.example.jp"})
    assert response.status_code == 302
    assert Invitation.objects.filter(email="colleague@subscriber-a.example.jp").count() == 1
    event = not_sent("colleague@subscriber-a.example.jp")
    assert "/app/invitations/" not in str(event.data)  # the link stays out of the log
