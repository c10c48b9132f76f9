"""Retention of invitations to join a recipient organisation (§2.8(10)): deleted 30 days after they
ended (accepted, withdrawn, or expired without being accepted), each deletion on the audit log; an
open invitation is never touched."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from audit.models import AuditEvent
from registry.tests.conftest import make_invitation
from validity.models import RecipientInvitation

pytestmark = pytest.mark.django_db

KIND = "validity.ended_invitation"


def invitation(organisation, inviter, *, ended: str, days_ago: float) -> RecipientInvitation:
    return make_invitation(RecipientInvitation, inviter, ended=ended, days_ago=days_ago, organisation=organisation)


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("apply_retention", "--kind", KIND, *args, stdout=out)
    return out.getvalue()


def deletions() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event_type="retention.deleted", subject_id=KIND))


@pytest.mark.parametrize("ended", ["accepted", "revoked", "expired"])
def test_an_ended_invitation_is_deleted_30_days_after_it_ended(organisation, recipient, ended):
    old = invitation(organisation, recipient, ended=ended, days_ago=31)
    recent = invitation(organisation, recipient, ended=ended, days_ago=29)
    still_open = invitation(organisation, recipient, ended="open", days_ago=400)

    run("--dry-run")
    assert RecipientInvitation.objects.count() == 3 and not deletions()  # a dry run deletes nothing

    run()

    assert set(RecipientInvitation.objects.values_list("pk", flat=True)) == {recent.pk, still_open.pk}
    [event] = deletions()
    assert event.data["ids"] == [old.public_id]
    assert (event.data["model"], event.data["count"]) == ("validity.recipientinvitation", 1)
