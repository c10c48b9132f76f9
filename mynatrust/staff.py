"""Appointing, changing and dismissing service staff (§7.2.1). Only the service manager may, and
nobody acts on their own account. Each act is an audit event in the same transaction.

An appointment and a change of role (任命・配置) follow a suitability check recorded beforehand in
the ledger for that person and that role (§7.2.2): the check is named in the appointment, serves it
alone, and a missing, unsuitable, corrected, stale or mismatched check refuses it (audited).

A new staff member is appointed without a password: a one-time invitation link goes to their own
mailbox, where they set their own password and enrol their own second factor (the manager never
holds either). A lost second factor is reset by the service manager (a second person, reason
required), which sends a new link; the member confirms their password there and enrols again.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

import audit
from kernel import ServiceError
from mynatrust import mail_limits
from mynatrust.lib.email_address import canonical_email
from mynatrust.mail import send_unstored_after_commit
from mynatrust.models import StaffAppointment, StaffInvitation, User
from mynatrust.operations.models import SuitabilityCheck
from mynatrust.roles import Role


class StaffError(ServiceError):
    """A refused staff action; ``message`` is translated and safe to show."""


def _authorise(actor: User, target: User | None, action: str) -> None:
    if not actor.has_role(Role.SERVICE_MANAGER):
        raise StaffError(str(_("職員の任命・役割変更・解任はサービス責任者だけが行えます。")))
    if target is not None and target.pk == actor.pk:
        raise StaffError(str(_("自分自身の役割は変更できません。")))


def _refuse(event: str, actor: User, target: User | None, err: StaffError, **data: object) -> None:
    audit.record(event, actor=actor, subject=target, refused=True, reason=err.message, **data)


def _same_name(a: str, b: str) -> bool:
    import unicodedata

    def fold(text: str) -> str:
        return "".join(unicodedata.normalize("NFKC", text).split())

    return fold(a) == fold(b)


def usable_suitability_checks() -> models.QuerySet[SuitabilityCheck]:
    """Checks an appointment may still name: suitable, recent, not yet used, the newest entry of
    their correction chain."""
    oldest = timezone.localdate() - timedelta(days=settings.STAFF_SUITABILITY_MAX_AGE_DAYS)
    chains_corrected_later = SuitabilityCheck.objects.filter(
        corrects_id=models.OuterRef("corrects_id"), pk__gt=models.OuterRef("pk")
    )
    return (
        SuitabilityCheck.objects.filter(result=SuitabilityCheck.Result.SUITABLE, checked_on__gte=oldest)
        .filter(appointment__isnull=True, corrections__isnull=True)
        .exclude(models.Exists(chains_corrected_later.exclude(corrects_id=None)))
        .order_by("-checked_on", "-pk")
    )


def _require_suitability(
    check: SuitabilityCheck | None, role: Role, name: str, *, lock: bool = True
) -> SuitabilityCheck:
    """The check recorded before appointing ``name`` to ``role`` (§7.2.2), locked; StaffError when
    there is none that may serve."""
    if check is None:
        raise StaffError(
            str(_("任命・配置の前に、職員の適格性確認記録（運用規程 7.2.2）を記録し、その記録を選んでください。"))
        )
    rows = SuitabilityCheck.objects.select_for_update() if lock else SuitabilityCheck.objects.all()
    check = rows.get(pk=check.pk)
    chain = check.corrects_id or check.pk
    newest = SuitabilityCheck.objects.filter(models.Q(pk=chain) | models.Q(corrects_id=chain)).order_by("-pk").first()
    if newest is None or newest.pk != check.pk:
        raise StaffError(str(_("この適格性確認記録は訂正されています。訂正後の記録を選んでください。")))
    if check.result != SuitabilityCheck.Result.SUITABLE:
        raise StaffError(str(_("不適格と確認された記録では任命・配置できません。")))
    if check.role != role.value:
        raise StaffError(
            str(_("適格性確認記録の役割（%(checked)s）と任命する役割（%(role)s）が違います。"))
            % {"checked": Role(check.role).label, "role": role.label}
        )
    if not _same_name(check.staff_name, name):
        raise StaffError(str(_("適格性確認記録の氏名と任命する職員の氏名が違います。")))
    oldest = timezone.localdate() - timedelta(days=settings.STAFF_SUITABILITY_MAX_AGE_DAYS)
    if check.checked_on < oldest or check.checked_on > timezone.localdate():
        raise StaffError(
            str(_("適格性確認は任命の前%(days)s日以内のものに限ります。改めて確認し、記録してください。"))
            % {"days": settings.STAFF_SUITABILITY_MAX_AGE_DAYS}
        )
    if StaffAppointment.objects.filter(suitability=check).exists():
        raise StaffError(str(_("この適格性確認記録は既に別の任命に使われています。")))
    return check


def appoint_staff(
    email: str,
    role: Role,
    *,
    actor: User,
    display_name: str = "",
    suitability: SuitabilityCheck | None = None,
) -> User:
    """Create a staff account holding ``role``, without a password or second factor, and mail the
    new member a one-time invitation link (see :func:`accept_invitation`). ``suitability`` is the
    ledger entry of the check made beforehand (§7.2.2)."""
    role = Role(role)
    try:
        _authorise(actor, None, "appoint")
        email = canonical_email(email)
        if User.objects.filter(email__iexact=email).exists():
            raise StaffError(str(_("このメールアドレスのアカウントは既に存在します。")))
        _require_suitability(suitability, role, display_name, lock=False)
        _count_invitation(email, actor)
        with transaction.atomic():
            check = _require_suitability(suitability, role, display_name)
            user = User.objects.create_user(email, None, kind=User.Kind.STAFF, is_staff=True, display_name=display_name)
            user.groups.set([Group.objects.get(name=role.value)])
            StaffAppointment.objects.create(user=user, role=role.value, suitability=check, appointed_by=actor)
            audit.record(
                "staff.appointed", actor=actor, subject=user, role=role.value, email=email, suitability=check.audit_id
            )
            _invite(user, StaffInvitation.Purpose.APPOINTMENT, actor=actor)
    except StaffError as err:
        _refuse(
            "staff.appoint_refused",
            actor,
            None,
            err,
            role=role.value,
            email=email,
            suitability=suitability.audit_id if suitability else None,
        )
        raise
    return user


def change_role(user: User, role: Role, *, actor: User, suitability: SuitabilityCheck | None = None) -> User:
    """Move a staff member to ``role`` (配置), after the suitability check for that role (§7.2.2)."""
    role = Role(role)
    try:
        _authorise(actor, user, "change")
        with transaction.atomic():
            locked = User.objects.select_for_update().get(pk=user.pk)
            if locked.kind != User.Kind.STAFF:
                raise StaffError(str(_("職員ではないアカウントに役割は付与できません。")))
            check = _require_suitability(suitability, role, locked.display_name)
            before = locked.staff_role
            locked.groups.set([Group.objects.get(name=role.value)])
            StaffAppointment.objects.create(user=locked, role=role.value, suitability=check, appointed_by=actor)
            audit.record(
                "staff.role_changed",
                actor=actor,
                subject=locked,
                before=before.value if before else None,
                after=role.value,
                suitability=check.audit_id,
            )
    except StaffError as err:
        _refuse(
            "staff.role_change_refused",
            actor,
            user,
            err,
            role=role.value,
            suitability=suitability.audit_id if suitability else None,
        )
        raise
    return locked


def dismiss_staff(user: User, *, actor: User, reason: str = "") -> User:
    try:
        _authorise(actor, user, "dismiss")
        with transaction.atomic():
            locked = User.objects.select_for_update().get(pk=user.pk)
            if locked.kind != User.Kind.STAFF:
                raise StaffError(str(_("職員ではないアカウントは解任できません。")))
            before = locked.staff_role
            locked.groups.clear()
            locked.is_active = False
            locked.is_staff = False
            locked.save(update_fields=["is_active", "is_staff"])
            audit.record(
                "staff.dismissed", actor=actor, subject=locked, role=before.value if before else None, reason=reason
            )
    except StaffError as err:
        _refuse("staff.dismiss_refused", actor, user, err)
        raise
    return locked


def bootstrap_service_manager(email: str, password: str, *, display_name: str = "") -> tuple[User, str]:
    """First appointment on a new installation: allowed only while no active service manager exists.
    Returns the account and its one-time enrolment link (printed on the host: whoever runs this is
    the new manager), where the password is confirmed and the second factor enrolled."""
    try:
        with transaction.atomic():
            group = Group.objects.select_for_update().get(name=Role.SERVICE_MANAGER.value)
            if group.user_set.filter(is_active=True).exists():
                raise StaffError(str(_("サービス責任者は既に任命されています。管理画面から任命してください。")))
            user = User.objects.create_user(
                email, password, kind=User.Kind.STAFF, is_staff=True, display_name=display_name
            )
            user.groups.set([group])
            audit.record("staff.appointed", actor=audit.SYSTEM, subject=user, role=group.name, bootstrap=True)
            link = _invite(user, StaffInvitation.Purpose.REENROLMENT, actor=None, reason="bootstrap", mail=False)
    except StaffError as err:
        # Someone on the host tried to make a second first manager: on the record like a refusal in the admin.
        audit.record(
            "staff.appoint_refused",
            actor=audit.SYSTEM,
            refused=True,
            reason=err.message,
            role=Role.SERVICE_MANAGER.value,
            email=email,
            bootstrap=True,
        )
        raise
    return user, link


# --- invitations ------------------------------------------------------------------------------


class InvitationError(StaffError):
    """A refused invitation link: unknown, used, expired, or the account is no longer staff."""


def _count_invitation(email: str, actor: User) -> None:
    """An invitation is a mail: counted like every mail others cause (mynatrust.mail_limits)."""
    if not mail_limits.allow(mail_limits.STAFF_INVITATION, to=email, account=actor):
        raise StaffError(str(mail_limits.REFUSED))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _invite(user: User, purpose: str, *, actor: User | None, reason: str = "", mail: bool = True) -> str:
    """Issue a one-time link (earlier unused ones of the member stop working) and mail it to the
    member's own address after commit; the link is never shown to whoever issued it. Returns the
    link (only the first service manager's, made on the host itself, is printed there)."""
    now = timezone.now()
    StaffInvitation.objects.filter(user=user, used_at__isnull=True, expires_at__gt=now).update(expires_at=now)
    token = secrets.token_urlsafe(32)
    invitation = StaffInvitation.objects.create(
        user=user,
        purpose=purpose,
        token_sha256=_digest(token),
        created_by=actor,
        reason=reason,
        expires_at=now + timedelta(hours=settings.STAFF_INVITATION_HOURS),
    )
    audit.record(
        "staff.invitation_sent",
        actor=actor or audit.SYSTEM,
        subject=user,
        purpose=purpose,
        invitation=invitation.pk,
        expires_at=invitation.expires_at,
    )
    url = settings.SERVICE_BASE_URL.rstrip("/") + reverse("admin:staff_invitation", args=[token])
    context = {"invitation": invitation, "url": url, "hours": settings.STAFF_INVITATION_HOURS, "email": user.email}
    subject = str(_("職員アカウントの設定のご案内"))
    body = render_to_string("admin/email/staff_invitation.txt", context)
    if mail:
        send_unstored_after_commit(subject, body, [user.email], about=user)
    return url


def reset_second_factor(user: User, *, actor: User, reason: str) -> None:
    """A lost authenticator: the service manager (never for their own account) removes the member's
    second factors (authenticator apps and passkeys) and sends a re-enrolment link; the member confirms their password there."""
    from django_otp.plugins.otp_totp.models import TOTPDevice
    from django_otp_webauthn.models import WebAuthnCredential

    try:
        _authorise(actor, user, "reset")
        if not reason.strip():
            raise StaffError(str(_("再登録の理由を入力してください。")))
        _count_invitation(user.email, actor)
        with transaction.atomic():
            locked = User.objects.select_for_update().get(pk=user.pk)
            if locked.kind != User.Kind.STAFF or not locked.is_active:
                raise StaffError(str(_("在任中の職員ではありません。")))
            removed = 0
            for model in (TOTPDevice, WebAuthnCredential):  # a passkey's attestation goes with it
                removed += model.objects.filter(user=locked).delete()[1].get(model._meta.label, 0)
            audit.record("staff.second_factor_reset", actor=actor, subject=locked, reason=reason, removed=removed)
            _invite(locked, StaffInvitation.Purpose.REENROLMENT, actor=actor, reason=reason)
    except StaffError as err:
        _refuse("staff.second_factor_reset_refused", actor, user, err)
        raise


def invitation_for(token: str) -> StaffInvitation:
    """The usable invitation behind ``token``; InvitationError (recorded) otherwise."""
    invitation = StaffInvitation.objects.select_related("user").filter(token_sha256=_digest(token)).first()
    problem = ""
    if invitation is None:
        problem = "unknown"
    elif invitation.used_at is not None:
        problem = "used"
    elif invitation.expires_at <= timezone.now():
        problem = "expired"
    elif not (invitation.user.is_active and invitation.user.kind == User.Kind.STAFF):
        problem = "not_staff"
    if invitation is None or problem:
        # Anyone can try links: counted per client address and minute, not one row each.
        audit.record_tallied(
            "staff.invitation_refused",
            actor=invitation.user if invitation else audit.ANONYMOUS,
            key=problem,
            reason=problem,
        )
        raise InvitationError(str(_("この招待リンクは無効です（使用済み、期限切れ、または取り消し済み）。")))
    return invitation


def accept_invitation(invitation: StaffInvitation, *, password: str) -> User:
    """Use the link once: an appointment sets ``password``; a re-enrolment must give the member's
    current one. The caller then lets this browser session enrol a second factor."""
    with transaction.atomic():
        locked = StaffInvitation.objects.select_for_update().select_related("user").get(pk=invitation.pk)
        if locked.used_at is not None or locked.expires_at <= timezone.now():
            raise InvitationError(str(_("この招待リンクは無効です（使用済み、期限切れ、または取り消し済み）。")))
        user = locked.user
        wrong = locked.purpose != StaffInvitation.Purpose.APPOINTMENT and not user.check_password(password)
        if wrong:
            # No guessing with a stolen link: one wrong password ends it (the manager sends another).
            locked.expires_at = timezone.now()
            locked.save(update_fields=["expires_at"])
        else:
            if locked.purpose == StaffInvitation.Purpose.APPOINTMENT:
                user.set_password(password)
                user.save(update_fields=["password"])
            locked.used_at = timezone.now()
            locked.save(update_fields=["used_at"])
            audit.record(
                "staff.invitation_accepted", actor=user, subject=user, purpose=locked.purpose, invitation=locked.pk
            )
    if wrong:
        audit.record(
            "staff.invitation_refused", actor=user, subject=user, reason="wrong_password", invitation=locked.pk
        )
        raise InvitationError(str(_("パスワードが正しくありません。このリンクは無効になりました。")))
    return user


def deactivate_account(user: User, *, actor: User, reason: str) -> User:
    """The service manager deactivates an outside account (a subscriber's member or a recipient):
    it can no longer sign in, and its sessions end on their next request. Reason required; the
    account and its records stay (the audit trail names it)."""
    try:
        if not actor.has_perm("mynatrust.manage_staff"):
            raise StaffError(str(_("アカウントの停止はサービス責任者だけが行えます。")))
        if not reason.strip():
            raise StaffError(str(_("停止の理由を入力してください。")))
        with transaction.atomic():
            locked = User.objects.select_for_update().get(pk=user.pk)
            if locked.kind == User.Kind.STAFF:
                raise StaffError(str(_("職員のアカウントは「解任」で扱います。")))
            if not locked.is_active:
                raise StaffError(str(_("このアカウントは既に停止されています。")))
            locked.is_active = False
            locked.save(update_fields=["is_active"])
            audit.record("accounts.deactivated", actor=actor, subject=locked, kind=locked.kind, reason=reason)
    except StaffError as err:
        _refuse("accounts.deactivate_refused", actor, user, err)
        raise
    return locked
