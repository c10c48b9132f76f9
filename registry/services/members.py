"""A subscriber's members, through the members' code shared with recipient organisations."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _

from registry import members
from registry.models import (
    Invitation,
    Membership,
    Subscriber,
)

if TYPE_CHECKING:
    from mynatrust.models import User


def _subscribers() -> Any:
    return members.Team(
        membership=Membership,
        invitation=Invitation,
        org_field="subscriber",
        account_kind="subscriber",
        app="registry",
        audience=_("利用者"),
        closed=lambda org: org.status in (Subscriber.Status.REJECTED, Subscriber.Status.TERMINATED),
        flags=("may_revoke",),
    )


def invite_member(subscriber: Subscriber, *, actor: User, email: str, accept_url: Callable[[str], str]) -> Invitation:
    """Invite a colleague by e-mail; ``accept_url(token)`` builds the absolute link for the mail."""
    return members.invite(_subscribers(), subscriber, actor=actor, email=email, accept_url=accept_url)


def invitation_for_token(token: str) -> Invitation | None:
    return members.invitation_for_token(_subscribers(), token)


def accept_invitation(invitation: Invitation, *, actor: User) -> Membership:
    return members.accept(_subscribers(), invitation, actor=actor)


def revoke_invitation(invitation: Invitation, *, actor: User) -> Invitation:
    return members.revoke_invitation(_subscribers(), invitation, actor=actor)


def set_member_role(membership: Membership, *, actor: User, administrator: bool, may_revoke: bool) -> Membership:
    """An administrator decides who administers and who may revoke delegations."""
    return members.set_role(_subscribers(), membership, actor=actor, administrator=administrator, may_revoke=may_revoke)


def remove_member(membership: Membership, *, actor: User, reason: str) -> None:
    members.remove(_subscribers(), membership, actor=actor, reason=reason)
