"""Appointing, changing and dismissing service staff (§7.2.1). Only the service manager may, and
nobody acts on their own account. Each act is an audit event in the same transaction."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils.translation import gettext_lazy as _

import audit
from mynatrust.lib.email_address import canonical_email
from mynatrust.models import User
from mynatrust.roles import Role


class StaffError(Exception):
    """A refused staff action; ``message`` is translated and safe to show."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _authorise(actor: User, target: User | None, action: str) -> None:
    if not actor.has_role(Role.SERVICE_MANAGER):
        raise StaffError(str(_("職員の任命・役割変更・解任はサービス責任者だけが行えます。")))
    if target is not None and target.pk == actor.pk:
        raise StaffError(str(_("自分自身の役割は変更できません。")))


def _refuse(event: str, actor: User, target: User | None, err: StaffError, **data: object) -> None:
    audit.record(event, actor=actor, subject=target, refused=True, reason=err.message, **data)


def appoint_staff(email: str, role: Role, *, actor: User, display_name: str = "", password: str | None = None) -> User:
    """Create a staff account holding ``role``. It has no second factor yet: the new member enrols
    one at first sign-in to the admin."""
    role = Role(role)
    try:
        _authorise(actor, None, "appoint")
        email = canonical_email(email)
        if User.objects.filter(email__iexact=email).exists():
            raise StaffError(str(_("このメールアドレスのアカウントは既に存在します。")))
        with transaction.atomic():
            user = User.objects.create_user(
                email, password, kind=User.Kind.STAFF, is_staff=True, display_name=display_name
            )
            user.groups.set([Group.objects.get(name=role.value)])
            audit.record("staff.appointed", actor=actor, subject=user, role=role.value, email=email)
    except StaffError as err:
        _refuse("staff.appoint_refused", actor, None, err, role=role.value, email=email)
        raise
    return user


def change_role(user: User, role: Role, *, actor: User) -> User:
    role = Role(role)
    try:
        _authorise(actor, user, "change")
        with transaction.atomic():
            locked = User.objects.select_for_update().get(pk=user.pk)
            if locked.kind != User.Kind.STAFF:
                raise StaffError(str(_("職員ではないアカウントに役割は付与できません。")))
            before = locked.staff_role
            locked.groups.set([Group.objects.get(name=role.value)])
            audit.record(
                "staff.role_changed",
                actor=actor,
                subject=locked,
                before=before.value if before else None,
                after=role.value,
            )
    except StaffError as err:
        _refuse("staff.role_change_refused", actor, user, err, role=role.value)
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


def bootstrap_service_manager(email: str, password: str, *, display_name: str = "") -> User:
    """First appointment on a new installation: allowed only while no active service manager exists."""
    with transaction.atomic():
        group = Group.objects.select_for_update().get(name=Role.SERVICE_MANAGER.value)
        if group.user_set.filter(is_active=True).exists():
            raise StaffError(str(_("サービス責任者は既に任命されています。管理画面から任命してください。")))
        user = User.objects.create_user(email, password, kind=User.Kind.STAFF, is_staff=True, display_name=display_name)
        user.groups.set([group])
        audit.record("staff.appointed", actor=audit.SYSTEM, subject=user, role=group.name, bootstrap=True)
    return user
