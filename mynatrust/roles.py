"""Trusted roles (§7.2.1). Each is a Django group; a staff user holds exactly one.

Role permissions live in code, so that a deploy is the only way they change. Each part declares
what each role may do with its own models in a ``GRANTS`` table: the project's own below, every
installed app's in ``<app>/permissions.py``, the repository's and the operations ledgers' in
their packages' ``permissions.py``. :func:`role_permissions` joins them, and the groups follow
after the next migrate (mynatrust.signals.sync_role_permissions). Nothing adds to a role at run
time.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    SERVICE_MANAGER = "service_manager", _("サービス責任者")
    SERVICE_ADMINISTRATOR = "service_administrator", _("サービス管理者")
    SERVICE_OPERATOR = "service_operator", _("サービス運用者")
    RECEPTION = "reception", _("受付担当者")
    AUDITOR = "auditor", _("監査人")
    MAINTENANCE = "maintenance", _("保守員")


# What a part of the project lets each role do: "app_label.codename" permissions. Roles not named
# hold none there.
type Grants = Mapping[Role, Iterable[str]]

# The project's own: staff accounts, health, and the audit log (the audit app imports no other app,
# so its roles are granted here).
GRANTS: Grants = {
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


# The project's parts that are not apps of their own.
PROJECT_GRANT_MODULES = ("mynatrust.repository.permissions", "mynatrust.operations.permissions")


@functools.cache
def role_permissions() -> dict[Role, frozenset[str]]:
    """Every permission each role holds: the project's GRANTS, its parts', and ``GRANTS`` of each
    installed app that has a ``permissions`` module."""
    tables: list[Grants] = [GRANTS, *(import_module(name).GRANTS for name in PROJECT_GRANT_MODULES)]
    for config in apps.get_app_configs():
        module = f"{config.name}.permissions"
        if config.name != "mynatrust" and find_spec(module) is not None:
            tables.append(import_module(module).GRANTS)
    joined: dict[Role, set[str]] = {role: set() for role in Role}
    for table in tables:
        for role, perms in table.items():
            joined[Role(role)].update(perms)
    return {role: frozenset(perms) for role, perms in joined.items()}


def holds(actor: object, perm: str) -> bool:
    """True when ``actor`` is an active staff account whose role grants ``perm``. Services that
    change trust data or act for the service check it whatever the entry point (admin, command
    line): naming a staff member is never enough to act as one."""
    has_perm = getattr(actor, "has_perm", None)
    return bool(
        getattr(actor, "is_active", False) and getattr(actor, "is_staff", False) and has_perm and has_perm(perm)
    )
