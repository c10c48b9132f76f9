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
from dataclasses import dataclass
from importlib import import_module
from importlib.util import find_spec
from typing import Any

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


@dataclass(frozen=True)
class Charter:
    """A trusted role as the rules name and staff it: its department (§7.2), how many hold it, its
    duties (§7.2.1) and to whom it answers (the chain of command, §2.6.5, §2.6.6, §7.2.1, §8.1)."""

    department: Any
    headcount: Any
    duties: Any
    answers_to: Any
    of_the_rules: bool = True


ONE = _("1名")

# In the order of §7.2.1; reception last, the service's own addition. Shown on the staff page
# 「信頼される役割」 and in docs/roles.md (a test keeps the two the same).
CHARTERS: dict[Role, Charter] = {
    Role.SERVICE_MANAGER: Charter(
        department=_("第3のトラスト事業室"),
        headcount=ONE,
        duties=_(
            "電子委任状サービスの統括責任者。サービス管理者、サービス運用者の任命と解任を行う。"
            "サーバーラック鍵の管理、電子委任状保管等設備関連サーバーのアクセス管理を行う。"
        ),
        answers_to=_("会社（本サービスの統括責任者）"),
    ),
    Role.SERVICE_ADMINISTRATOR: Charter(
        department=_("第3のトラスト事業室、クラウド基盤課"),
        headcount=ONE,
        duties=_(
            "運用管理者。入退室管理、監査ログによるセキュリティ監視等を行う。DC サーバー室へのアクセスおよび"
            "電子委任状保管等設備関連サーバーへの操作権限を持たない。"
        ),
        answers_to=_("サービス責任者（監査の指摘への措置を指示され、結果を報告する：2.6.5）"),
    ),
    Role.SERVICE_OPERATOR: Charter(
        department=_("第3のトラスト事業室"),
        headcount=ONE,
        duties=_(
            "電子委任状サービスの運用を担当し、システムのメンテナンスおよびトラブル時の復旧を行う。"
            "単独での DC サーバー室への入室権限を持たない。電子委任状保管等設備関連サーバーへのアクセス権限を持つ。"
        ),
        answers_to=_("サービス責任者（作業指示とパスワードの貸出：8.1）"),
    ),
    Role.AUDITOR: Charter(
        department=_("情報システム課"),
        headcount=ONE,
        duties=_("監査ログの抽出、検査、管理を行う。"),
        answers_to=_("サービス責任者に監査報告書を提出する（2.6.6）。被監査部門から独立する（2.6.3）"),
    ),
    Role.MAINTENANCE: Charter(
        department=_("クラウド基盤課"),
        headcount=ONE,
        duties=_(
            "電子委任状保管等設備を構成するハードの保守を行う。DC サーバー室への入室権限を持ち、システムの監視を行う。"
            "電子委任状保管等設備関連サーバーへのアクセス権限を持たない。"
        ),
        answers_to=_("サービス責任者（入室の事前承認：7.1.1、10.2.3）"),
    ),
    Role.RECEPTION: Charter(
        department=_("第3のトラスト事業室"),
        headcount=_("本サービス独自の役割"),
        duties=_(
            "利用申込・変更届と登記情報、士業の資格、受領者等の登録を審査し、定期確認の督促と問合せ対応を記録する"
            "（7.2 で第3のトラスト事業室に所属する受付担当者。7.2.1 の五つの役割には含まれない）。"
        ),
        answers_to=_("サービス責任者"),
        of_the_rules=False,
    ),
}


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
