"""Retention of invitations to join a subscriber (§2.8(10)): an invitation that has ended — accepted,
withdrawn, or expired without being accepted — is no longer needed (the audit log keeps who invited
whom and who joined), so it is deleted 30 days after it ended; an open invitation is never touched."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from conftest import make_user
from registry import services
from registry.models import Invitation, Membership

from .conftest import events, make_invitation

pytestmark = pytest.mark.django_db

KIND = "registry.ended_invitation"


def invitation(subscriber, inviter, *, ended: str, days_ago: float) -> Invitation:
    return make_invitation(Invitation, inviter, ended=ended, days_ago=days_ago, subscriber=subscriber)


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("apply_retention", "--kind", KIND, *args, stdout=out)
    return out.getvalue()


@pytest.mark.parametrize("ended", ["accepted", "revoked", "expired"])
def test_an_ended_invitation_is_deleted_30_days_after_it_ended_and_the_deletion_recorded(
    active, subscriber_member, ended
):
    old = invitation(active, subscriber_member, ended=ended, days_ago=31)
    recent = invitation(active, subscriber_member, ended=ended, days_ago=29)

    run()

    assert list(Invitation.objects.values_list("pk", flat=True)) == [recent.pk]
    [event] = [e for e in events("retention.deleted") if e.subject_id == KIND]
    assert event.data["ids"] == [old.public_id]  # its public ID, not the address again
    assert (event.data["model"], event.data["count"], event.data["period"]) == ("registry.invitation", 1, "30d")


def test_an_open_invitation_is_never_touched_however_old(active, subscriber_member, settings):
    settings.RETENTION_PERIODS = {**settings.RETENTION_PERIODS, KIND: "0d"}
    still_open = invitation(active, subscriber_member, ended="open", days_ago=400)
    just_expired = invitation(active, subscriber_member, ended="expired", days_ago=0.01)
    run()
    assert list(Invitation.objects.values_list("pk", flat=True)) == [still_open.pk]
    assert still_open.is_open()
    assert [e.data["ids"] for e in events("retention.deleted")] == [[just_expired.public_id]]


def test_a_dry_run_counts_the_ended_invitations_and_deletes_none(active, subscriber_member):
    old = invitation(active, subscriber_member, ended="expired", days_ago=31)
    output = run("--dry-run")
    assert f"{KIND}: 保存期間 30 日、" in output and "より前のもの 1 件" in output
    assert Invitation.objects.filter(pk=old.pk).exists()
    assert not events("retention.deleted")


def test_after_its_invitation_is_gone_the_member_stays_and_the_log_still_says_who_invited_whom(
    client, active, subscriber_member, django_capture_on_commit_callbacks
):
    colleague = make_user("colleague@subscriber-a.example.jp", "subscriber")
    with time_machine.travel(timezone.now() - timedelta(days=40)):
        client.force_login(subscriber_member)
        with django_capture_on_commit_callbacks(execute=True):
            client.post("/app/members/", {"email": colleague.email})
        services.accept_invitation(Invitation.objects.get(), actor=colleague)

    run()

    assert not Invitation.objects.exists()
    assert Membership.objects.get(user=colleague).subscriber == active
    assert [e.data["email"] for e in events("registry.member.invited")] == [colleague.email]
    assert [e.actor_id for e in events("registry.member.joined")] == [str(colleague.pk)]
