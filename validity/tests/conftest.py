"""Fixtures of the validity tests: a signing key per session, Redis counters per test, an approved
recipient organisation with an API key, and a switch to fill the lookup seam with facts."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from conftest import make_user

REDIS_URL = "redis://127.0.0.1:6379/7"


@pytest.fixture(scope="session")
def signing_keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from validity import signing

    folder = tmp_path_factory.mktemp("validity-keys")
    paths = {name: folder / f"{name}.pem" for name in ("current", "previous")}
    for path in paths.values():
        signing.generate_key_file(path)
    return paths


def redis_cache(prefix: str) -> dict[str, Any]:
    return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL, "KEY_PREFIX": prefix}


@pytest.fixture(autouse=True)
def _validity_settings(settings: Any, signing_keys: dict[str, Path]) -> None:
    settings.VALIDITY_SIGNING_KEY_FILE = str(signing_keys["current"])
    settings.VALIDITY_PUBLISHED_KEY_FILES = []
    # A fresh key prefix per test: counters never leak from one test (or xdist worker) to another.
    settings.CACHES = {"default": redis_cache(f"test-{uuid.uuid4().hex}")}
    # Nor do this process's leases of tokens and kept key rows.
    from validity import auth, ratelimit

    ratelimit.leases.clear()
    auth._kept.clear()
    settings.VALIDITY_RATE_PER_KEY = "1000/60"
    settings.VALIDITY_RATE_PER_IP = "1000/60"
    settings.VALIDITY_RATE_FORM = "1000/60"
    settings.VALIDITY_UNKNOWN_LIMIT = "1000/60"
    settings.VALIDITY_RECIPIENT_APPROVAL_REQUIRED = True
    settings.SERVICE_BASE_URL = "https://mynatrust.example.jp"


def make_organisation(user: Any = None, *, status: str = "approved", name: str = "株式会社受領商事") -> Any:
    from validity.models import RecipientMember, RecipientOrganisation

    user = user or make_user(f"{uuid.uuid4().hex[:8]}@recipient.example.jp", "recipient")
    organisation = RecipientOrganisation.objects.create(
        name=name,
        address="東京都千代田区霞が関1-1-1",
        representative_title="代表取締役",
        representative_name="受領 太郎",
        representative_address="東京都港区芝公園4-2-8",
        declarant_name="確認 花子",
        status=status,
    )
    # The account that registered the organisation administers it.
    RecipientMember.objects.create(organisation=organisation, user=user, role=RecipientMember.Role.APPLICANT)
    return organisation


@pytest.fixture
def organisation(recipient: Any) -> Any:
    return make_organisation(recipient)


@pytest.fixture
def api_key(organisation: Any, recipient: Any) -> str:
    from validity import services

    _key, plaintext = services.create_api_key(organisation, label="基幹システム", actor=recipient)
    return plaintext


def facts(delegation_id: str, **changes: Any) -> Any:
    from dataclasses import replace

    from validity.answer import DelegationFacts

    base = DelegationFacts(
        delegation_id=delegation_id,
        valid_from=date(2026, 4, 1),
        valid_until=date(2027, 3, 31),
        principal_name="株式会社サンプル",
        principal_corporate_number="7000012050002",
        agent_name="代理 一郎",
        agent_title="経理部長",
        powers="入札及び見積に関する一切の件",
        limitations="",
        signed_file_sha256="ab" * 32,
    )
    return replace(base, **changes)


@pytest.fixture
def stored(db: None) -> Callable[..., Any]:
    """``stored(facts)`` stores a delegation saying exactly those facts — a real row, found by the
    delegations app's real query — or changes the one stored under that ID (a revocation, an update)."""
    member = make_user(f"{uuid.uuid4().hex[:8]}@subscriber.example.jp", "subscriber")
    return lambda item: store_delegation(item, member)


def store_delegation(item: Any, member: Any) -> Any:
    """Store (or change) the delegation rows that say exactly the facts ``item`` (also used by the
    validity benchmark). ``member`` is the subscriber account that owns them."""
    from delegations.models import Delegation, SignedFile
    from registry.models import Subscriber
    from registry.tests.conftest import apply

    number = item.principal_corporate_number
    owner = Subscriber.objects.filter(corporate_number=number).first() or apply(member, number=number)
    successor = None
    if item.superseded_by:
        successor = _delegation(owner, member, item.superseded_by, item, status="active")
    status = "revoked" if item.revoked_at else "superseded" if successor else "active"
    delegation = _delegation(owner, member, item.delegation_id, item, status=status)
    Delegation.objects.filter(pk=delegation.pk).update(
        revoked_at=item.revoked_at, superseded_by=successor, superseded_at=item.superseded_at
    )
    SignedFile.objects.update_or_create(
        delegation=delegation,
        role="principal",
        defaults={
            "container": "pades",
            "file_name": "delegation.pdf",
            "data": b"%PDF-",
            "sha256": item.signed_file_sha256,
            "size": 5,
            "report": {},
            "signer_certificate_der": b"",
            "signer_serial": "1",
            "signer_name": item.principal_name,
            "signer_address": "",
            "match_verdict": "match",
            "uploaded_by": member,
        },
    )
    return item


def _delegation(subscriber: Any, member: Any, delegation_id: str, item: Any, *, status: str) -> Any:
    from delegations.models import Delegation

    delegation, _created = Delegation.objects.update_or_create(
        delegation_id=delegation_id,
        defaults={
            "subscriber": subscriber,
            "status": status,
            "agent_name": item.agent_name,
            "agent_title": item.agent_title,
            "agent_address": "大阪府大阪市北区中之島一丁目3番20号",
            "agent_identifier_kind": "employee_number",
            "agent_identifier": "A-001",
            "powers": item.powers,
            "limitations": item.limitations,
            "valid_from": item.valid_from,
            "valid_until": item.valid_until,
            "principal_name": item.principal_name,
            "created_by": member,
        },
    )
    return delegation
