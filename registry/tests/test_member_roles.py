"""Member roles of a subscriber organisation: an administrator invites, removes and decides who
may revoke; ordinary members draft and view; a removed member's sessions end at once; staff
deactivate any outside account with a reason."""

from __future__ import annotations

import pytest
from django.urls import reverse

from conftest import decide, make_staff, make_user, otp_login
from mynatrust import staff
from registry import services
from registry.models import Invitation, Membership
from registry.services import RegistryError

from .conftest import events, make_invitation, open_behind_closed

pytestmark = pytest.mark.django_db


@pytest.fixture
def colleague(active):
    user = make_user("colleague@subscriber-a.example.jp", "subscriber", display_name="同僚 一郎")
    Membership.objects.create(user=user, subscriber=active, role=Membership.Role.MEMBER)
    return user


def test_the_applicant_is_the_first_administrator_and_a_colleague_is_an_ordinary_member(
    active, subscriber_member, colleague
):
    assert Membership.objects.get(user=subscriber_member).is_administrator
    ordinary = Membership.objects.get(user=colleague)
    assert not ordinary.is_administrator and not ordinary.can_revoke


def test_an_ordinary_member_cannot_invite_remove_or_change_roles(active, subscriber_member, colleague):
    admin_membership = Membership.objects.get(user=subscriber_member)
    with pytest.raises(RegistryError) as exc:
        services.invite_member(active, actor=colleague, email="x@subscriber-a.example.jp", accept_url=lambda t: t)
    assert exc.value.code == "not_administrator"
    with pytest.raises(RegistryError):
        services.remove_member(admin_membership, actor=colleague, reason="乗っ取り")
    with pytest.raises(RegistryError):
        services.set_member_role(
            Membership.objects.get(user=colleague), actor=colleague, administrator=True, may_revoke=True
        )
    assert Membership.objects.get(user=colleague).role == Membership.Role.MEMBER
    assert len(events("registry.member.invite_refused")) == 1
    assert len(events("registry.member.remove_refused")) == 1
    assert len(events("registry.member.roles_refused")) == 1


def test_the_administrator_decides_who_may_revoke_and_keeps_at_least_one_administrator(
    active, subscriber_member, colleague
):
    mine = Membership.objects.get(user=subscriber_member)
    theirs = Membership.objects.get(user=colleague)
    services.set_member_role(theirs, actor=subscriber_member, administrator=False, may_revoke=True)
    assert Membership.objects.get(pk=theirs.pk).can_revoke
    with pytest.raises(RegistryError) as exc:
        services.set_member_role(mine, actor=subscriber_member, administrator=False, may_revoke=False)
    assert exc.value.code == "last_administrator"
    services.set_member_role(theirs, actor=subscriber_member, administrator=True, may_revoke=False)
    services.set_member_role(mine, actor=subscriber_member, administrator=False, may_revoke=False)
    assert Membership.objects.get(pk=theirs.pk).is_administrator
    event = events("registry.member.role_changed")[0]
    assert event.data["after"] == {"role": "member", "may_revoke": True}


def test_a_removed_members_sessions_end_at_once(client, active, subscriber_member, colleague):
    from django.test import Client

    client.force_login(colleague)
    assert client.get("/app/").status_code == 200
    admin_client = Client()
    admin_client.force_login(subscriber_member)
    response = admin_client.post(
        reverse("registry:member_remove"), {"email": colleague.email, "reason": "退職"}, follow=True
    )
    assert "担当者を外しました" in response.content.decode()
    assert not Membership.objects.filter(user=colleague).exists()
    colleague.refresh_from_db()
    assert not colleague.is_active
    # The colleague's open session is signed out on its very next request.
    after = client.get("/app/")
    assert after.status_code == 302 and "login" in after["Location"]
    [event] = events("registry.member.removed")
    assert (event.data["member"], event.data["reason"]) == (colleague.email, "退職")


def test_removal_needs_a_reason_and_never_removes_oneself(active, subscriber_member, colleague):
    with pytest.raises(RegistryError):
        services.remove_member(Membership.objects.get(user=colleague), actor=subscriber_member, reason=" ")
    with pytest.raises(RegistryError):
        services.remove_member(Membership.objects.get(user=subscriber_member), actor=subscriber_member, reason="x")
    assert Membership.objects.count() == 2


def test_a_member_of_another_subscriber_cannot_touch_these_members(
    client, active, other_active, other_subscriber_member, colleague
):
    client.force_login(other_subscriber_member)
    assert client.post(reverse("registry:member_remove"), {"email": colleague.email, "reason": "x"}).status_code == 404
    assert (
        client.post(reverse("registry:member_role"), {"email": colleague.email, "may_revoke": "on"}).status_code == 404
    )
    assert Membership.objects.get(user=colleague).role == Membership.Role.MEMBER and colleague.is_active


def test_the_members_page_shows_the_controls_only_to_an_administrator(client, active, subscriber_member, colleague):
    client.force_login(colleague)
    page = client.get(reverse("registry:members")).content.decode()
    assert "招待メールを送る" not in page and "さんを外す" not in page
    client.force_login(subscriber_member)
    page = client.get(reverse("registry:members")).content.decode()
    assert "招待メールを送る" in page and "同僚 一郎 さんを外す" in page


def test_open_invitations_are_those_neither_accepted_withdrawn_nor_expired(active, subscriber_member):
    made = {
        ended: make_invitation(Invitation, subscriber_member, ended=ended, days_ago=1, subscriber=active)
        for ended in ("open", "accepted", "revoked", "expired")
    }
    assert list(Invitation.objects.open()) == [made["open"]]
    assert [ended for ended, invitation in made.items() if invitation.is_open()] == ["open"]


def test_the_members_page_lists_an_open_invitation_behind_fifty_newer_closed_ones(client, active, subscriber_member):
    url = reverse("registry:members")
    still_open, listed = open_behind_closed(client, url, Invitation, subscriber_member, subscriber=active)
    assert listed == [still_open]  # and no ended invitation


def test_the_service_manager_deactivates_an_outside_account_with_a_reason(client, active, colleague, recipient):
    manager = make_staff("service_manager", "boss@staff.example.jp")
    with pytest.raises(staff.StaffError):
        staff.deactivate_account(recipient, actor=manager, reason="")
    with pytest.raises(staff.StaffError):
        staff.deactivate_account(recipient, actor=make_staff("auditor", "aud@staff.example.jp"), reason="x")
    otp_login(client, manager)
    url = reverse("admin:mynatrust_user_deactivate", args=[colleague.pk])
    assert decide(client, url, {"reason": "不正利用の疑い"}).status_code == 302
    colleague.refresh_from_db()
    assert not colleague.is_active
    [event] = events("accounts.deactivated")
    assert (event.actor_id, event.data["reason"]) == (str(manager.pk), "不正利用の疑い")
    assert len(events("accounts.deactivate_refused")) == 2
    # Staff accounts are dismissed, not deactivated here.
    assert (
        client.post(reverse("admin:mynatrust_user_deactivate", args=[manager.pk]), {"reason": "x"}).status_code == 404
    )
