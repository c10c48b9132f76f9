"""Members of an organisation that uses the service, whatever its kind (a subscriber, a recipient):
roles, invitations by e-mail, role changes and removal. One implementation; each kind describes
itself with a :class:`Team` (its membership and invitation models, the account kind that may join,
the namespace of its audit events) and keeps thin services of its own on top.

- An administrator (``applicant``: the account that registered the organisation; ``administrator``)
  invites, withdraws invitations, changes roles and removes members; an organisation always keeps
  one administrator. What an ordinary member may do is the kind's own business.
- An invitation is a one-time link mailed to the address (only a digest of its token is stored); it
  is accepted by a signed-in account of the team's kind with that very address.
- Removing a member ends the membership and deactivates the account, which ends its sessions at
  once (authentication refuses an inactive account on its very next request).
- Each step is an audit event in its transaction (``<app>.member.invited``, ``.joined``,
  ``.invitation_revoked``, ``.role_changed``, ``.removed``); a refusal is ``<app>.member.<step>_refused``
  after the rollback (kernel.service).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

import audit
from kernel import service
from mynatrust import mail_limits
from mynatrust.lib.email_address import canonical_email
from mynatrust.mail import send_unstored_after_commit
from registry.errors import RegistryError
from registry.models import AbstractInvitation, AbstractMembership, InvitationQuerySet, MemberRole

if TYPE_CHECKING:
    from mynatrust.models import User


@dataclass(frozen=True)
class Team:
    """One kind of organisation and its members."""

    membership: type[AbstractMembership]
    invitation: type[AbstractInvitation]
    org_field: str  # the foreign key to the organisation, in both models
    account_kind: str  # the kind of account that may join (User.Kind)
    app: str  # the app whose audit namespace holds its member events ("registry": registry.member.*)
    audience: Any  # how the mail and pages name the organisation's kind (「利用者」)
    # Organisations that may no longer invite (rejected, terminated …).
    closed: Callable[[Any], bool] = field(default=lambda org: False)
    # The membership's own permission flags an administrator may set besides the role.
    flags: tuple[str, ...] = ()

    def organisation(self, item: Any) -> Any:
        return getattr(item, self.org_field)

    def memberships(self, org: Any) -> models.QuerySet[Any]:
        return self.membership.objects.filter(**{self.org_field: org})  # type: ignore[attr-defined]

    def invitations(self, org: Any) -> InvitationQuerySet:
        return self.invitation.objects.filter(**{self.org_field: org})


def _in_service[T](team: Team, name: str, fn: Callable[..., T], subject: Any, **kwargs: Any) -> T:
    """Run one step in its transaction; a refusal is recorded as ``<app>.member.<name>_refused``."""
    return service(f"{team.app}.member.{name}")(fn)(subject, team=team, **kwargs)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _locked(team: Team, org: Any, actor: User) -> Any:
    org = type(org).objects.select_for_update().get(pk=org.pk)
    if not team.memberships(org).filter(user=actor).exists():
        raise _not_member(team)
    return org


def _said(team: Team, message: Any) -> str:
    return str(message) % {"audience": team.audience}


def _not_member(team: Team) -> RegistryError:
    return RegistryError(_said(team, _("この%(audience)sの担当者ではありません。")), code="not_member")


def require_administrator(team: Team, org: Any, actor: User) -> Any:
    """The actor's membership when it is an administrator of ``org``; refused otherwise."""
    membership = team.memberships(org).filter(user=actor).first()
    if membership is None:
        raise _not_member(team)
    if not membership.is_administrator:
        raise RegistryError(_said(team, _("この操作は%(audience)sの管理者だけが行えます。")), code="not_administrator")
    return membership


def invite(team: Team, org: Any, *, actor: User, email: str, accept_url: Callable[[str], str]) -> Any:
    """Invite a colleague by e-mail; ``accept_url(token)`` builds the absolute link for the mail.
    Invitations are mails: counted first (mynatrust.mail_limits, which records a refusal itself)."""
    if not mail_limits.allow(mail_limits.MEMBER_INVITATION, to=email, account=actor):
        raise RegistryError(mail_limits.REFUSED, code="mail_limited", field="email")
    return _in_service(team, "invite", _invite, org, actor=actor, email=email, accept_url=accept_url)


def _invite(org: Any, *, team: Team, actor: User, email: str, accept_url: Callable[[str], str]) -> Any:
    org = _locked(team, org, actor)
    require_administrator(team, org, actor)
    if team.closed(org):
        raise RegistryError(_said(team, _("この%(audience)sには担当者を招待できません。")), code="wrong_state")
    email = canonical_email(email)
    if team.memberships(org).filter(user__email__iexact=email).exists():
        raise RegistryError(_("このメールアドレスの方は既に担当者です。"), code="already_member", field="email")
    token = secrets.token_urlsafe(32)
    invitation = team.invitation.objects.create(
        **{team.org_field: org},
        email=email,
        token_hash=_token_hash(token),
        invited_by=actor,
        expires_at=timezone.now() + timedelta(hours=settings.REGISTRY_INVITATION_HOURS),
    )
    audit.record(f"{team.app}.member.invited", actor=actor, subject=org, email=email)
    context = {
        "link": accept_url(token),
        "organisation": str(org),
        "audience": str(team.audience),
        "inviter": actor,
        "hours": settings.REGISTRY_INVITATION_HOURS,
    }
    subject = gettext("【%(service)s】担当者としての招待") % {"service": settings.SERVICE_NAME}
    body = render_to_string("registry/email/invitation.txt", context)
    send_unstored_after_commit(subject, body, [email], about=org)
    return invitation


def invitation_for_token(team: Team, token: str) -> Any:
    return team.invitation.objects.select_related(team.org_field).filter(token_hash=_token_hash(token)).first()


def accept(team: Team, invitation: Any, *, actor: User) -> Any:
    return _in_service(team, "accept", _accept, invitation, actor=actor)


def _accept(invitation: Any, *, team: Team, actor: User) -> Any:
    invitation = type(invitation).objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_open():
        raise RegistryError(_("この招待は使えません（期限切れ・使用済み・取消済み）。"), code="invitation_closed")
    if getattr(actor, "kind", None) != team.account_kind:
        raise RegistryError(
            _said(team, _("%(audience)sアカウントでログインしてください。")),
            code=f"not_{team.account_kind}_account",
        )
    if actor.email.lower() != invitation.email.lower():
        raise RegistryError(_("招待されたメールアドレスのアカウントでログインしてください。"), code="wrong_account")
    if team.membership.objects.filter(user=actor).exists():  # type: ignore[attr-defined]
        raise RegistryError(_said(team, _("このアカウントは既に%(audience)sに所属しています。")), code="already_member")
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = actor
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    org = team.organisation(invitation)
    membership = team.membership.objects.create(  # type: ignore[attr-defined]
        user=actor, **{team.org_field: org}, role=MemberRole.MEMBER
    )
    audit.record(f"{team.app}.member.joined", actor=actor, subject=org, email=actor.email)
    return membership


def revoke_invitation(team: Team, invitation: Any, *, actor: User) -> Any:
    return _in_service(team, "revoke_invitation", _revoke_invitation, invitation, actor=actor)


def _revoke_invitation(invitation: Any, *, team: Team, actor: User) -> Any:
    invitation = type(invitation).objects.select_for_update().get(pk=invitation.pk)
    org = team.organisation(invitation)
    require_administrator(team, org, actor)
    if not invitation.is_open():
        raise RegistryError(_("この招待は既に使えません。"), code="invitation_closed")
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    audit.record(f"{team.app}.member.invitation_revoked", actor=actor, subject=org, email=invitation.email)
    return invitation


def _other_administrators(team: Team, membership: Any) -> bool:
    roles = (MemberRole.APPLICANT, MemberRole.ADMINISTRATOR)
    others = team.memberships(team.organisation(membership)).filter(role__in=roles).exclude(pk=membership.pk)
    return bool(others.exists())


def set_role(team: Team, membership: Any, *, actor: User, administrator: bool, **flags: bool) -> Any:
    """An administrator decides who administers (and the team's own flags, such as who may revoke);
    an organisation always keeps at least one administrator."""
    return _in_service(team, "roles", _set_role, membership, actor=actor, administrator=administrator, flags=flags)


def _set_role(membership: Any, *, team: Team, actor: User, administrator: bool, flags: dict[str, bool]) -> Any:
    membership = (
        type(membership).objects.select_for_update().select_related(team.org_field, "user").get(pk=membership.pk)
    )
    require_administrator(team, team.organisation(membership), actor)
    if membership.is_administrator and not administrator and not _other_administrators(team, membership):
        raise RegistryError(_("最後の管理者は担当者に変更できません。"), code="last_administrator")
    names = [name for name in team.flags if name in flags]
    before = {"role": membership.role, **{name: getattr(membership, name) for name in names}}
    if administrator and not membership.is_administrator:
        membership.role = MemberRole.ADMINISTRATOR
    elif not administrator:
        membership.role = MemberRole.MEMBER
    for name in names:
        setattr(membership, name, bool(flags[name]))
    membership.save(update_fields=["role", *names])
    audit.record(
        f"{team.app}.member.role_changed",
        actor=actor,
        subject=team.organisation(membership),
        member=membership.user.email,
        before=before,
        after={"role": membership.role, **{name: getattr(membership, name) for name in names}},
    )
    return membership


def remove(team: Team, membership: Any, *, actor: User, reason: str) -> None:
    """An administrator removes a member (never themself, reason required): the membership ends and
    the account is deactivated, which ends its sessions at once."""
    _in_service(team, "remove", _remove, membership, actor=actor, reason=reason)


def _remove(membership: Any, *, team: Team, actor: User, reason: str) -> None:
    membership = (
        type(membership).objects.select_for_update().select_related(team.org_field, "user").get(pk=membership.pk)
    )
    org = team.organisation(membership)
    require_administrator(team, org, actor)
    if membership.user_id == getattr(actor, "pk", None):
        raise RegistryError(_("自分自身は外せません。"), code="self")
    if not reason.strip():
        raise RegistryError(_("理由を入力してください。"), code="reason_missing", field="reason")
    user = membership.user
    membership.delete()
    user.is_active = False
    user.save(update_fields=["is_active"])
    audit.record(f"{team.app}.member.removed", actor=actor, subject=org, member=user.email, reason=reason)
