"""The roles' permissions are declared once, in GRANTS tables, and each names a real permission."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission

from mynatrust import roles

pytestmark = pytest.mark.django_db


def test_every_granted_permission_exists():
    """A misspelt codename would be skipped silently when the groups are synchronised."""
    existing = {
        f"{app}.{codename}" for app, codename in Permission.objects.values_list("content_type__app_label", "codename")
    }
    missing = {role: sorted(perms - existing) for role, perms in roles.role_permissions().items() if perms - existing}
    assert missing == {}


def test_each_group_holds_exactly_what_the_tables_grant():
    for role, perms in roles.role_permissions().items():
        group = Group.objects.get(name=role.value)
        held = {
            f"{app}.{codename}"
            for app, codename in group.permissions.values_list("content_type__app_label", "codename")
        }
        assert held == perms, role


def test_the_tables_of_every_part_are_joined():
    joined = roles.role_permissions()
    assert "registry.review_subscriber" in joined[roles.Role.RECEPTION]
    assert "delegations.approve_anchorchange" in joined[roles.Role.SERVICE_MANAGER]
    assert "validity.view_apikey" in joined[roles.Role.SERVICE_ADMINISTRATOR]
    assert "mynatrust.publish_termination_notice" in joined[roles.Role.SERVICE_MANAGER]
    assert "mynatrust.export_ledgers" in joined[roles.Role.AUDITOR]
    assert all("mynatrust.view_proceduredocument" in joined[role] for role in roles.Role)
    assert not hasattr(roles, "grant")
