"""The trusted roles as the rules name them (§7.2.1), with their department (§7.2), headcount,
duties and chain of command, on a staff page every role reads and in docs/roles.md (§6.2.9 keeps the
document of responsibilities, authority and chain of command)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse

from conftest import ROLES, otp_login, suitable
from mynatrust import staff
from mynatrust.roles import CHARTERS, Role

pytestmark = pytest.mark.django_db

DOCS = Path(__file__).resolve().parents[2] / "docs" / "roles.md"
RULES_NAMES = ["サービス責任者", "サービス管理者", "サービス運用者", "監査人", "保守員"]


def test_the_charters_are_the_five_roles_of_the_rules_then_reception():
    assert [role.label for role in CHARTERS][:5] == RULES_NAMES
    assert [str(CHARTERS[role].headcount) for role in CHARTERS][:5] == ["1名"] * 5
    assert not CHARTERS[Role.RECEPTION].of_the_rules
    assert set(CHARTERS) == set(Role)


@pytest.mark.parametrize("role", ROLES)
def test_every_role_reads_the_roles_from_its_home_page(client, role, staff_by_role):
    otp_login(client, staff_by_role[role])
    home = client.get(reverse("admin:index")).content.decode()
    assert reverse("admin:trusted_roles") in home
    page = client.get(reverse("admin:trusted_roles")).content.decode()
    for name in RULES_NAMES:
        assert f">{name}<" in page
    assert "受付担当者（本サービス独自の役割）" in page
    for charter in CHARTERS.values():
        assert str(charter.duties) in page and str(charter.answers_to) in page
    assert "責任と権限（運用規程 7.2.1）" in page and "所属（運用規程 7.2）" in page


def test_the_page_names_who_holds_each_role_and_the_appointments(client, service_manager):
    check = suitable(service_manager, "監査 一郎", "auditor")
    staff.appoint_staff(
        "audit@staff.example.jp", Role.AUDITOR, actor=service_manager, display_name="監査 一郎", suitability=check
    )
    otp_login(client, service_manager)
    page = client.get(reverse("admin:trusted_roles")).content.decode()
    assert "監査 一郎" in page and "任命・配置の記録" in page


def test_the_page_is_only_for_staff(client, subscriber_member):
    client.force_login(subscriber_member)
    response = client.get(reverse("admin:trusted_roles"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_docs_name_each_role_with_the_duties_the_page_shows():
    text = DOCS.read_text(encoding="utf-8")
    for role, charter in CHARTERS.items():
        assert str(role.label) in text
        assert str(charter.duties) in text, role
        assert str(charter.answers_to) in text, role
