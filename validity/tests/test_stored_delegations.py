"""The validity API over delegations stored for real: signed with the test PKI, verified, activated,
then updated or revoked through the delegations services."""

from __future__ import annotations

import hashlib
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from conftest import make_user
from delegations import services as delegation_services
from delegations.models import Delegation, SignedFile
from delegations.tests import lifecycle
from delegations.tests.conftest import test_pki  # noqa: F401  (the delegations tests' session fixture)
from delegations.tests.lifecycle import trusted_pki  # noqa: F401  (its root trusted, a fresh CRL imported)

from .test_api import ask

pytestmark = pytest.mark.django_db
JST = ZoneInfo("Asia/Tokyo")


@pytest.fixture
def pki(request):
    return request.getfixturevalue("trusted_pki")


@pytest.fixture
def owner(db):
    return make_user("owner@principal.example.jp", "subscriber")


@pytest.fixture
def business(owner, pki):
    return lifecycle.make_subscriber(owner)


@pytest.fixture
def active(business, owner, pki):
    return lifecycle.make_active(business, owner, pki)


def status_of(client, api_key, delegation_id: str, **data) -> dict:
    response = ask(client, delegation_id, api_key, data=data or None)
    assert response.status_code == 200, response.content
    return response.json()


def test_an_active_delegation_is_valid_with_its_facts_and_digest(client, api_key, active):
    answer = status_of(client, api_key, active.delegation_id)
    assert answer["status"] == "valid"
    stored = SignedFile.objects.get(delegation=active, role=SignedFile.Role.PRINCIPAL)
    assert answer["signed_file_sha256"] == stored.sha256.lower()
    assert answer["agent"]["name"] == active.agent_name
    held = hashlib.sha256(bytes(stored.data)).hexdigest()
    assert status_of(client, api_key, active.delegation_id, sha256=held)["digest_match"] is True
    assert status_of(client, api_key, active.delegation_id, sha256="0" * 64)["digest_match"] is False


def test_the_period_edges_follow_the_japanese_calendar(client, api_key, active):
    first = datetime.combine(active.valid_from, time(0, 0), tzinfo=JST)
    last = datetime.combine(active.valid_until, time(23, 59, 59), tzinfo=JST)
    with time_machine.travel(first - timedelta(seconds=1), tick=False):
        assert status_of(client, api_key, active.delegation_id)["status"] == "not_yet_valid"
    with time_machine.travel(first, tick=False):
        assert status_of(client, api_key, active.delegation_id)["status"] == "valid"
    with time_machine.travel(last, tick=False):
        assert status_of(client, api_key, active.delegation_id)["status"] == "valid"
    with time_machine.travel(last + timedelta(seconds=1), tick=False):
        assert status_of(client, api_key, active.delegation_id)["status"] == "expired"


def test_a_revocation_is_answered_immediately(client, api_key, active, owner):
    delegation_services.revoke_delegation(active, actor=owner, reason="退職")
    assert status_of(client, api_key, active.delegation_id)["status"] == "revoked"


def test_an_update_supersedes_the_old_id_once_the_successor_is_active(client, api_key, active, owner, pki):
    successor = delegation_services.start_update(active, actor=owner)
    successor = delegation_services.finalise_draft(successor, actor=owner)
    principal, agent = lifecycle.signed_pair(successor, pki)
    assert status_of(client, api_key, active.delegation_id)["status"] == "valid"  # until it is active
    delegation_services.submit_signed_file(successor, principal, actor=owner, role="principal")
    delegation_services.submit_signed_file(successor, agent, actor=owner, role="agent")
    successor.refresh_from_db()
    assert successor.status == Delegation.Status.ACTIVE and successor.delegation_id
    old = status_of(client, api_key, active.delegation_id)
    assert old["status"] == "superseded"
    assert successor.delegation_id not in str(old)  # the successor's ID is not disclosed
    assert status_of(client, api_key, successor.delegation_id)["status"] == "valid"


def test_a_finalised_but_unsigned_delegation_answers_unknown(client, api_key, business, owner):
    finalised = lifecycle.make_finalised(business, owner)
    answer = status_of(client, api_key, finalised.delegation_id)
    assert answer["status"] == "unknown"
    assert set(answer) == {"issuer", "delegation_id", "status", "checked_at"}  # nothing else leaks
