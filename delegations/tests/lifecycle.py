"""Fixtures and factories for the delegation lifecycle tests: the test PKI trusted in the database,
an approved subscriber whose registered representative is the test PKI's ``representative`` persona,
and delegations at each stage. The fixtures are re-exported by ``delegations/tests/conftest.py``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest

import audit
from conftest import make_user
from registry.tests.conftest import apply, approve, corporate_number

REPRESENTATIVE = ("代表 太郎", "東京都千代田区霞が関二丁目1番2号")  # the test PKI's representative persona
AGENT_NAME = "受任 花子"  # the test PKI's agent persona


def draft_values(**overrides: Any) -> dict[str, Any]:
    today = date.today()
    return {
        "agent_name": AGENT_NAME,
        "agent_title": "営業部長",
        "agent_qualification": "",
        "agent_address": "大阪府大阪市北区中之島一丁目3番20号",
        "agent_identifier_kind": "employee_number",
        "agent_identifier": "A-001",
        "powers": "物品購入契約の締結",
        "limitations": "",
        "valid_from": today,
        "valid_until": today + timedelta(days=365),
        **overrides,
    }


def make_subscriber(
    member: Any, *, number: str = "010401012345", representative: tuple[str, str] = REPRESENTATIVE
) -> Any:
    from conftest import make_staff
    from mynatrust.models import User

    reviewer = User.objects.filter(email="reception-del@staff.example.jp").first() or make_staff(
        "reception", "reception-del@staff.example.jp"
    )
    subscriber = apply(member, number=corporate_number(number), representative_name=representative[0])
    approve(subscriber, reviewer, name=representative[0], address=representative[1])
    subscriber.refresh_from_db()
    return subscriber


def make_draft(subscriber: Any, member: Any, **overrides: Any) -> Any:
    from delegations import services

    return services.create_draft(subscriber, actor=member, values=draft_values(**overrides))


def make_finalised(subscriber: Any, member: Any, **overrides: Any) -> Any:
    from delegations import services

    return services.finalise_draft(make_draft(subscriber, member, **overrides), actor=member)


def signed_pair(
    delegation: Any, pki: Any, principal: str = "representative", agent: str = "agent"
) -> tuple[bytes, bytes]:
    return pki.sign_pdf(bytes(delegation.pdf), principal), pki.sign_pdf(bytes(delegation.acceptance_pdf), agent)


def make_active(subscriber: Any, member: Any, pki: Any, **overrides: Any) -> Any:
    from delegations import services

    delegation = make_finalised(subscriber, member, **overrides)
    principal, agent = signed_pair(delegation, pki)
    services.submit_signed_file(delegation, principal, actor=member, role="principal")
    services.submit_signed_file(delegation, agent, actor=member, role="agent")
    delegation.refresh_from_db()
    return delegation


@pytest.fixture
def trusted_pki(db: None, test_pki: Any, settings: Any, tmp_path: Any) -> Iterator[Any]:
    """The session's test PKI as the demo's: its root trusted, a fresh CRL imported, saved where
    test-card signing loads it."""
    from delegations import trust

    settings.DEMO_MODE = True
    settings.SIGNATURE_REVOCATION_SOURCE = "crl"
    settings.SIGNATURE_TEST_PKI_DIR = str(tmp_path / "testpki")
    test_pki.save(settings.SIGNATURE_TEST_PKI_DIR)
    trust.install_demo_anchor(test_pki.root_der)
    trust.import_crl(test_pki.crl(), actor=audit.SYSTEM)
    yield test_pki


@pytest.fixture
def member(db: None) -> Any:
    return make_user("member@delegations-a.example.jp", "subscriber")


@pytest.fixture
def other_member(db: None) -> Any:
    return make_user("member@delegations-b.example.jp", "subscriber")


@pytest.fixture
def subscriber(member: Any, trusted_pki: Any) -> Any:
    return make_subscriber(member)


@pytest.fixture
def other_subscriber(other_member: Any, trusted_pki: Any) -> Any:
    return make_subscriber(other_member, number="011001099999")


def events(event_type: str) -> list[Any]:
    from audit.models import AuditEvent

    return list(AuditEvent.objects.filter(event_type=event_type).order_by("id"))
