"""Member roles of a recipient organisation, through the members' code the subscribers use
(registry.members): the account that registered it administers; an administrator invites, removes
and makes others administrators, and alone creates and revokes API keys; an ordinary member checks
delegations and reads the history; a removed member's sessions end at once; another organisation's
members are out of reach. Every refusal is on the record."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from audit.models import AuditEvent
from conftest import PASSWORD, make_user
from registry.services import RegistryError
from registry.tests.conftest import open_behind_closed
from validity import services
from validity.answer import ValidityError
from validity.models import ApiKey, RecipientInvitation, RecipientMember
from validity.tests.conftest import make_organisation

pytestmark = pytest.mark.django_db


def events(event_type: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event_type=event_type).order_by("id"))


@pytest.fixture
def colleague(organisation):
    user = make_user("colleague@recipient.example.jp", "recipient", display_name="同僚 二郎")
    RecipientMember.objects.create(organisation=organisation, user=user, role=RecipientMember.Role.MEMBER)
    return user


def test_the_registering_account_administers_and_others_join_as_members(client, recipient):
    client.force_login(recipient)
    client.post(
        reverse("validity:register"),
        {
            "kind": "corporation",
            "name": "株式会社確認",
            "address": "東京都千代田区霞が関1-1-1",
            "representative_title": "代表取締役",
            "representative_name": "確認 太郎",
            "representative_address": "東京都港区芝公園4-2-8",
            "declarant_name": "確認 花子",
            "privacy_notice": "on",
            "confirmed": "yes",  # sent from the confirmation page
        },
    )
    assert RecipientMember.objects.get(user=recipient).role == RecipientMember.Role.APPLICANT


def test_an_administrator_invites_and_the_invitee_joins_as_an_ordinary_member(
    client, organisation, recipient, django_capture_on_commit_callbacks
):
    client.force_login(recipient)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("validity:members"), {"email": "New@Recipient.example.jp"})
    assert response.status_code == 302
    [message] = mail.outbox
    assert message.to == ["new@recipient.example.jp"]
    assert "受領者等の担当者として招待されました" in message.body
    found = re.search(r"https?://\S+/recipient/invitations/\S+/", str(message.body))
    assert found
    link = found.group(0)
    assert events("validity.member.invited")

    invitee = make_user("new@recipient.example.jp", "recipient")
    client.force_login(invitee)
    path = "/" + link.split("/", 3)[3]
    assert "株式会社受領商事 の担当者として招待されています" in client.get(path).content.decode()
    assert client.post(path).status_code == 302
    joined = RecipientMember.objects.get(user=invitee)
    assert joined.organisation == organisation and joined.role == RecipientMember.Role.MEMBER
    assert events("validity.member.joined")
    assert client.post(path).status_code == 404  # used once


def test_an_ordinary_member_checks_but_cannot_manage_members_or_api_keys(client, organisation, recipient, colleague):
    with pytest.raises(RegistryError) as exc:
        services.invite_member(organisation, actor=colleague, email="x@recipient.example.jp", accept_url=str)
    assert exc.value.code == "not_administrator"
    with pytest.raises(RegistryError):
        services.remove_member(RecipientMember.objects.get(user=recipient), actor=colleague, reason="乗っ取り")
    with pytest.raises(RegistryError):
        services.set_member_role(RecipientMember.objects.get(user=colleague), actor=colleague, administrator=True)
    with pytest.raises(ValidityError) as refused:
        services.create_api_key(organisation, label="勝手なキー", actor=colleague)
    assert refused.value.code == "not_administrator"
    key, _plaintext = services.create_api_key(organisation, label="基幹", actor=recipient)
    with pytest.raises(ValidityError):
        services.revoke_api_key(key, actor=colleague)
    assert ApiKey.objects.get(pk=key.pk).revoked_at is None
    for event_type in (
        "validity.member.invite_refused",
        "validity.member.remove_refused",
        "validity.member.roles_refused",
        "validity.api_key.created_refused",
        "validity.api_key.revoked_refused",
    ):
        assert len(events(event_type)) == 1, event_type
    assert RecipientMember.objects.get(user=colleague).role == RecipientMember.Role.MEMBER

    # Through the pages: the key page offers no form, a POST creates nothing; checking still works.
    client.force_login(colleague)
    page = client.get(reverse("validity:api_keys")).content.decode()
    assert "キーの作成と失効は管理者が行います" in page and 'name="label"' not in page
    client.post(reverse("validity:api_keys"), {"label": "x"})
    assert ApiKey.objects.count() == 1
    assert client.get(reverse("validity:check")).status_code == 200
    assert client.get(reverse("validity:history")).status_code == 200
    members_page = client.get(reverse("validity:members")).content.decode()
    assert "担当者を招待する" not in members_page and "同僚 二郎" in members_page


def test_the_administrator_makes_an_administrator_and_keeps_at_least_one(organisation, recipient, colleague):
    mine = RecipientMember.objects.get(user=recipient)
    theirs = RecipientMember.objects.get(user=colleague)
    services.set_member_role(theirs, actor=recipient, administrator=True)
    assert RecipientMember.objects.get(pk=theirs.pk).is_administrator
    _key, _plaintext = services.create_api_key(organisation, label="同僚のキー", actor=colleague)
    services.set_member_role(mine, actor=colleague, administrator=False)
    with pytest.raises(RegistryError) as exc:
        services.set_member_role(theirs, actor=colleague, administrator=False)
    assert exc.value.code == "last_administrator"
    [changed, *_rest] = events("validity.member.role_changed")
    assert changed.data["after"] == {"role": "administrator"}


def test_a_removed_member_is_signed_out_at_once_and_reasons_are_required(client, organisation, recipient, colleague):
    client.force_login(colleague)
    assert client.get(reverse("validity:home")).status_code == 200
    membership = RecipientMember.objects.get(user=colleague)
    with pytest.raises(RegistryError):
        services.remove_member(membership, actor=recipient, reason=" ")
    with pytest.raises(RegistryError):
        services.remove_member(RecipientMember.objects.get(user=recipient), actor=recipient, reason="自分")
    services.remove_member(membership, actor=recipient, reason="退職")
    assert not RecipientMember.objects.filter(user=colleague).exists()
    colleague.refresh_from_db()
    assert not colleague.is_active
    assert client.get(reverse("validity:home")).status_code == 302  # the session is over
    signing_in = client.post(reverse("validity:login"), {"username": colleague.email, "password": PASSWORD})
    assert signing_in.status_code == 200  # refused: a success redirects
    [removed] = events("validity.member.removed")
    assert removed.data["reason"] == "退職"


def test_another_organisations_members_and_invitations_are_out_of_reach(client, organisation, recipient):
    other = make_organisation(name="別の受領者株式会社")
    stranger = other.members.get()
    services.invite_member(other, actor=stranger.user, email="inv@other.example.jp", accept_url=str)
    invitation = RecipientInvitation.objects.get()
    client.force_login(recipient)
    assert (
        client.post(reverse("validity:member_remove"), {"email": stranger.user.email, "reason": "x"}).status_code == 404
    )
    assert (
        client.post(reverse("validity:member_role"), {"email": stranger.user.email, "administrator": "on"}).status_code
        == 404
    )
    revoke = client.post(reverse("validity:revoke_invitation", args=[invitation.public_id]))
    assert revoke.status_code == 404
    assert RecipientInvitation.objects.get().is_open()
    assert RecipientMember.objects.get(pk=stranger.pk).is_administrator
    # A subscriber's account cannot join a recipient, nor a recipient account another recipient.
    subscriber = make_user("inv@other.example.jp", "subscriber")
    with pytest.raises(RegistryError) as exc:
        services.accept_invitation(invitation, actor=subscriber)
    assert exc.value.code == "not_recipient_account"
    with pytest.raises(RegistryError) as exc:
        services.accept_invitation(invitation, actor=recipient)
    assert exc.value.code == "wrong_account"
    assert len(events("validity.member.accept_refused")) == 2


def test_the_members_page_lists_an_open_invitation_behind_fifty_newer_closed_ones(client, organisation, recipient):
    url = reverse("validity:members")
    still_open, listed = open_behind_closed(client, url, RecipientInvitation, recipient, organisation=organisation)
    assert listed == [still_open]  # and no ended invitation
