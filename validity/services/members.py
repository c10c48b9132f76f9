"""The recipient's members (registry.members: the same roles and invitations as the subscribers')."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _

from validity.models import RecipientMember, RecipientOrganisation
from validity.services.common import Org

if TYPE_CHECKING:
    from mynatrust.models import User


def _recipients() -> Any:
    from registry import members
    from validity.models import RecipientInvitation

    return members.Team(
        membership=RecipientMember,
        invitation=RecipientInvitation,
        org_field="organisation",
        account_kind="recipient",
        app="validity",
        audience=_("受領者等"),
        closed=lambda org: org.status in (Org.Status.REJECTED, Org.Status.SUSPENDED),
    )


def invite_member(
    organisation: RecipientOrganisation, *, actor: User, email: str, accept_url: Callable[[str], str]
) -> Any:
    from registry import members

    return members.invite(_recipients(), organisation, actor=actor, email=email, accept_url=accept_url)


def invitation_for_token(token: str) -> Any:
    from registry import members

    return members.invitation_for_token(_recipients(), token)


def accept_invitation(invitation: Any, *, actor: User) -> RecipientMember:
    from registry import members

    return members.accept(_recipients(), invitation, actor=actor)


def revoke_invitation(invitation: Any, *, actor: User) -> Any:
    from registry import members

    return members.revoke_invitation(_recipients(), invitation, actor=actor)


def set_member_role(member: RecipientMember, *, actor: User, administrator: bool) -> RecipientMember:
    from registry import members

    return members.set_role(_recipients(), member, actor=actor, administrator=administrator)


def remove_member(member: RecipientMember, *, actor: User, reason: str) -> None:
    from registry import members

    members.remove(_recipients(), member, actor=actor, reason=reason)
