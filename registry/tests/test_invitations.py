"""Several staff members per subscriber: the applicant invites colleagues by e-mail."""

from __future__ import annotations

import re

import pytest

from conftest import make_user
from registry import services
from registry.models import Invitation, Membership
from registry.services import RegistryError

from .conftest import events

pytestmark = pytest.mark.django_db


def link_in(body):
    found = re.search(r"http://testserver(/app/invitations/[^\s]+/)", body)
    assert found, body
    return found.group(1)


def invite(client, email, capture):
    with capture(execute=True):
        return client.post("/app/members/", {"email": email})


def test_a_colleague_is_invited_by_email_and_joins(
    client, active, subscriber_member, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(subscriber_member)
    response = invite(client, "Colleague@Subscriber-A.example.jp", django_capture_on_commit_callbacks)
    assert response.status_code == 302
    mail = mailoutbox[-1]
    assert mail.to == ["colleague@subscriber-a.example.jp"]
    link = link_in(mail.body)
    assert Invitation.objects.get().token_hash not in mail.body

    colleague = make_user("colleague@subscriber-a.example.jp", "subscriber")
    client.force_login(colleague)
    assert "株式会社みなと商事" in client.get(link).content.decode()
    assert client.post(link).status_code == 302
    assert Membership.objects.get(user=colleague).subscriber == active
    assert "株式会社みなと商事" in client.get("/app/").content.decode()
    assert events("registry.member.invited") and events("registry.member.joined")
    # used once only
    assert client.post(link).status_code == 404


def test_an_invitation_must_be_accepted_by_the_invited_address(
    client, active, subscriber_member, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(subscriber_member)
    invite(client, "colleague@subscriber-a.example.jp", django_capture_on_commit_callbacks)
    link = link_in(mailoutbox[-1].body)
    stranger = make_user("stranger@elsewhere.example.jp", "subscriber")
    client.force_login(stranger)
    response = client.post(link)
    assert "招待されたメールアドレス" in response.content.decode()
    assert not Membership.objects.filter(user=stranger).exists()
    assert events("registry.member.accept_refused")[0].data["code"] == "wrong_account"


def test_an_invitation_can_be_revoked(client, active, subscriber_member, django_capture_on_commit_callbacks):
    client.force_login(subscriber_member)
    invite(client, "colleague@subscriber-a.example.jp", django_capture_on_commit_callbacks)
    invitation = Invitation.objects.get()
    assert client.post(f"/app/members/invitations/{invitation.public_id}/revoke/").status_code == 302
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    colleague = make_user("colleague@subscriber-a.example.jp", "subscriber")
    with pytest.raises(RegistryError):
        services.accept_invitation(invitation, actor=colleague)


def test_a_member_of_another_subscriber_cannot_join_a_second_one(
    active, other_active, subscriber_member, other_subscriber_member
):
    invitation = services.invite_member(
        active, actor=subscriber_member, email=other_subscriber_member.email, accept_url=lambda t: t
    )
    with pytest.raises(RegistryError, match="既に利用者に所属"):
        services.accept_invitation(invitation, actor=other_subscriber_member)


def test_inviting_an_existing_member_is_refused(client, active, subscriber_member, django_capture_on_commit_callbacks):
    client.force_login(subscriber_member)
    response = invite(client, subscriber_member.email, django_capture_on_commit_callbacks)
    assert response.status_code == 200
    assert "既に担当者" in str(response.context["form"].errors)
