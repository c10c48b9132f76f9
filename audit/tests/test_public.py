"""The checkpoint public key is published for auditors; the unsealed backlog shows in /healthz."""

from __future__ import annotations

import pytest

import audit
from audit import keys, public, signing

pytestmark = pytest.mark.django_db


def test_the_checkpoint_public_key_is_published_as_pem(client):
    response = client.get("/.well-known/audit-checkpoint-key.pem")
    assert response.status_code == 200
    key = signing.load_public_key(response.content)
    current = keys.private_key().public_key()
    assert signing.key_id(key) == signing.key_id(current) == response["X-Key-ID"]


def test_the_published_key_is_what_the_repository_page_links_to(client):
    assert "/.well-known/audit-checkpoint-key.pem" in client.get("/repository/").content.decode()


def test_a_large_unsealed_backlog_is_a_warning_in_healthz(client, monkeypatch):
    monkeypatch.setattr(public, "BACKLOG_WARNING", 2)
    for number in range(3):
        audit.record("test.backlog", actor=audit.SYSTEM, number=number)
    answer = client.get("/healthz").json()
    assert answer["checks"]["audit_backlog"] == "warn"
    assert answer["status"] == "ok"
    from audit.sealing import seal_pending

    seal_pending()
    assert client.get("/healthz").json()["checks"]["audit_backlog"] == "ok"
