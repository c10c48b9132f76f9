"""Model-layer guards and audit events for accounts."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, Permission
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.core.exceptions import ValidationError
from django.db.models.signals import m2m_changed
from django.dispatch import receiver
from django.utils.translation import gettext

import audit
from mynatrust.models import User
from mynatrust.roles import Role, role_permissions


@receiver(m2m_changed, sender=User.groups.through)
def one_role_per_staff_user(
    sender: Any, instance: Any, action: str, reverse: bool, pk_set: set[int] | None, **kw: Any
) -> None:
    if action != "pre_add" or not pk_set:
        return
    if reverse:
        # group.user_set.add(...): check each user being added.
        users = User.objects.filter(pk__in=pk_set)
        for user in users:
            _check_roles(user, extra=1)
        return
    _check_roles(instance, extra=len(pk_set))


def _check_roles(user: User, *, extra: int) -> None:
    if user.kind != User.Kind.STAFF:
        raise ValidationError(gettext("役割は職員アカウントにだけ付与できます。"))
    if user.groups.count() + extra > 1:
        raise ValidationError(gettext("職員が持てる役割は一つだけです。"))


@receiver(m2m_changed, sender=User.user_permissions.through)
def no_direct_permissions(sender: Any, action: str, pk_set: set[int] | None, **kw: Any) -> None:
    if action == "pre_add" and pk_set:
        raise ValidationError(gettext("権限は役割を通じてだけ与えられます。"))


@receiver(user_logged_in)
def logged_in(sender: Any, request: Any, user: User, **kw: Any) -> None:
    audit.record("auth.login", actor=user, subject=user)


@receiver(user_logged_out)
def logged_out(sender: Any, request: Any, user: User | None, **kw: Any) -> None:
    if user is not None:
        audit.record("auth.logout", actor=user, subject=user)


@receiver(user_login_failed)
def login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kw: Any) -> None:
    username = str(credentials.get("username") or credentials.get("email") or "")[:254]
    # Anonymous and repeatable at will: one event per client address, page and minute, with a count
    # (the name tried first in the window; django-axes keeps every name tried).
    path = getattr(request, "path", "")[:200] if request is not None else ""
    audit.record_tallied("auth.login_failed", actor=None, key=path, username=username, path=path)


def sync_role_permissions(**kwargs: Any) -> None:
    """After migrate: make each role group hold exactly the permissions role_permissions() names."""
    for role in Role:
        group, _created = Group.objects.get_or_create(name=role.value)
        wanted: set[int] = set()
        for label in role_permissions()[role]:
            app_label, codename = label.split(".", 1)
            perm = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
            if perm is not None:
                wanted.add(perm.pk)
        current = set(group.permissions.values_list("pk", flat=True))
        if wanted != current:
            group.permissions.set(wanted)
            audit.record(
                "staff.role_permissions_changed",
                actor=audit.SYSTEM,
                subject=("auth.group", role.value),
                added=sorted(_names(wanted - current)),
                removed=sorted(_names(current - wanted)),
            )


def _names(pks: set[int]) -> list[str]:
    return [
        f"{p.content_type.app_label}.{p.codename}"
        for p in Permission.objects.filter(pk__in=pks).select_related("content_type")
    ]
