"""Trusted roles (§7.2.1). Each is a Django group; a staff user holds exactly one.

Role permissions live here, in code, so that a deploy is the only way they change; later apps add
their codenames to ROLE_PERMISSIONS and the groups follow after the next migrate.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    SERVICE_MANAGER = "service_manager", _("サービス責任者")
    SERVICE_ADMINISTRATOR = "service_administrator", _("サービス管理者")
    SERVICE_OPERATOR = "service_operator", _("サービス運用者")
    RECEPTION = "reception", _("受付担当者")
    AUDITOR = "auditor", _("監査人")
    MAINTENANCE = "maintenance", _("保守員")


# "app_label.codename" for every permission a role grants. Roles not named here hold none.
ROLE_PERMISSIONS: dict[str, set[str]] = {
    Role.SERVICE_MANAGER: {"mynatrust.view_user", "mynatrust.manage_staff"},
    Role.SERVICE_ADMINISTRATOR: {
        "mynatrust.view_user",
        "audit.view_auditevent",
        "audit.view_auditcheckpoint",
        "audit.view_auditsegment",
        "audit.view_auditcosignature",
    },
    Role.SERVICE_OPERATOR: set(),
    Role.RECEPTION: set(),
    Role.AUDITOR: {
        "audit.view_auditevent",
        "audit.verify_auditlog",
        "audit.export_auditlog",
        "audit.archive_auditlog",
        "audit.view_auditcheckpoint",
        "audit.view_auditsegment",
        "audit.view_auditcosignature",
    },
    Role.MAINTENANCE: {"mynatrust.view_health"},
}


def grant(role: Role, *perms: str) -> None:
    """Let an app add its permissions to a role from its AppConfig.ready()."""
    ROLE_PERMISSIONS[role].update(perms)


def holds(actor: object, perm: str) -> bool:
    """True when ``actor`` is an active staff account whose role grants ``perm``. Services that
    change trust data or act for the service check it whatever the entry point (admin, command
    line): naming a staff member is never enough to act as one."""
    has_perm = getattr(actor, "has_perm", None)
    return bool(
        getattr(actor, "is_active", False) and getattr(actor, "is_staff", False) and has_perm and has_perm(perm)
    )
