"""The trusted roles as §7.2.1 names and staffs them: one person each. Every flow that needs a
second person completes with exactly one person per role."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from conftest import decide, make_staff, otp_login
from delegations import trust
from delegations.models import RevocationRequest, TrustAnchor
from delegations.tests.lifecycle import make_active
from mynatrust.management.commands.demo_setup import STAFF
from mynatrust.operations import services as ledgers
from mynatrust.operations.models import LedgerError, Lend, RackKeyLoan
from mynatrust.repository import services as repository
from mynatrust.repository.models import DocumentKind
from mynatrust.roles import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def one_each():
    """Exactly one person per role, as the rules staff the service."""
    return {role.value: make_staff(role.value, f"{role.value}@staff.example.jp") for role in Role}


def test_the_roles_carry_the_names_of_the_rules():
    labels = {role.value: str(role.label) for role in Role}
    assert labels == {
        "service_manager": "サービス責任者",
        "service_administrator": "サービス管理者",
        "service_operator": "サービス運用者",
        "reception": "受付担当者",
        "auditor": "監査人",
        "maintenance": "保守員",
    }


def test_the_demo_staffs_exactly_one_person_per_role():
    assert sorted(role.value for role, _local, _name in STAFF) == sorted(role.value for role in Role)


def test_a_trust_anchor_is_added_by_the_operator_and_approved_by_the_service_manager(one_each, test_pki):
    change = trust.request_anchor_addition(test_pki.root_der, actor=one_each["service_operator"])
    trust.approve_anchor_change(change, actor=one_each["service_manager"])
    assert TrustAnchor.objects.get().status == TrustAnchor.Status.ACTIVE


def test_the_service_manager_approves_an_anchor_change_in_the_admin(client, one_each, test_pki):
    change = trust.request_anchor_addition(test_pki.root_der, actor=one_each["service_operator"])
    otp_login(client, one_each["service_manager"])
    changelist = reverse("admin:delegations_anchorchange_changelist")
    assert client.get(changelist).status_code == 200
    decide(client, reverse("admin:delegations_anchorchange_decide", args=[change.pk, "approve"]))
    assert TrustAnchor.objects.get().status == TrustAnchor.Status.ACTIVE


def test_an_operator_revocation_is_approved_by_the_service_manager(client, one_each, subscriber, member, trusted_pki):
    delegation = make_active(subscriber, member, trusted_pki)
    otp_login(client, one_each["service_operator"])
    decide(
        client,
        reverse("admin:delegations_delegation_action", args=[delegation.pk, "revoke"]),
        {"reason": "不正利用の届出"},
    )
    request = RevocationRequest.objects.get()
    otp_login(client, one_each["service_manager"])
    changelist = reverse("admin:delegations_revocationrequest_changelist")
    assert client.get(changelist).status_code == 200
    decide(client, reverse("admin:delegations_revocationrequest_decide", args=[request.pk, "approve"]))
    delegation.refresh_from_db()
    assert delegation.status == "revoked" and delegation.revoked_by == one_each["service_manager"]


@pytest.mark.parametrize("role", ["service_administrator", "reception", "auditor", "maintenance"])
def test_no_other_role_approves_an_operator_revocation(client, one_each, subscriber, member, trusted_pki, role):
    delegation = make_active(subscriber, member, trusted_pki)
    otp_login(client, one_each["service_operator"])
    decide(
        client,
        reverse("admin:delegations_delegation_action", args=[delegation.pk, "revoke"]),
        {"reason": "不正利用の届出"},
    )
    request = RevocationRequest.objects.get()
    otp_login(client, one_each[role])
    url = reverse("admin:delegations_revocationrequest_decide", args=[request.pk, "approve"])
    assert client.get(url).status_code in (302, 403)
    client.post(url, {"reason": ""})
    delegation.refresh_from_db()
    assert delegation.status == "active"


def test_a_repository_document_is_drafted_by_the_operator_and_approved_by_the_service_manager(one_each):
    doc = repository.draft_document(
        kind=DocumentKind.values[0],
        version="9.9",
        title="版",
        body="本文",
        effective_at=timezone.now() + timedelta(days=1),
        actor=one_each["service_operator"],
    )
    doc = repository.approve_document(doc, actor=one_each["service_manager"])
    assert doc.decided_by == one_each["service_manager"]


def _rack_key(**extra):
    return {
        "key_label": "ラック A-01",
        "action": Lend.LEND,
        "occurred_at": timezone.now() - timedelta(minutes=5),
        "person_name": "運用 花子",
        "purpose": "ディスク交換",
        **extra,
    }


def test_the_rack_key_ledger_is_written_by_the_service_manager(one_each):
    entry = ledgers.record_entry(RackKeyLoan, actor=one_each["service_manager"], **_rack_key())
    assert entry.pk
    with pytest.raises(LedgerError):
        ledgers.record_entry(RackKeyLoan, actor=one_each["service_administrator"], **_rack_key())
