"""Audit-log information is confidential and stays inside the company (§2.7.1, §6.2.4): no page a
subscriber or recipient sees is built from the audit tables."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import audit

from .lifecycle import make_active

ROOT = Path(__file__).resolve().parents[2]
# Apps whose pages face subscribers, recipients and the public. Their admin modules (staff in a
# trusted role) and tests may read the log; nothing else in them may.
PUBLIC_APPS = ("delegations", "registry", "validity")


def _imports_audit_models(path: Path) -> bool:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("audit.models"):
            return True
        if isinstance(node, ast.Import) and any(alias.name.startswith("audit.models") for alias in node.names):
            return True
    return False


def test_no_public_facing_module_reads_the_audit_tables():
    readers = [
        str(path.relative_to(ROOT))
        for app in PUBLIC_APPS
        for path in (ROOT / app).rglob("*.py")
        if "tests" not in path.parts and "migrations" not in path.parts and path.name != "admin.py"
        if _imports_audit_models(path)
    ]
    assert readers == []


@pytest.mark.django_db
def test_the_delegation_page_does_not_show_who_checked_it(client, member, subscriber, trusted_pki):
    delegation = make_active(subscriber, member, trusted_pki)
    audit.record(
        "validity.query",
        actor=None,
        subject=("delegations.delegation", delegation.delegation_id),
        delegation_id=delegation.delegation_id,
        status="valid",
        digest_match=True,
        organisation="株式会社受領商事",
    )
    client.force_login(member)
    body = client.get(f"/app/delegations/{delegation.public_id}/").content.decode()
    assert "株式会社受領商事" not in body
    assert "有効性の確認履歴" not in body
