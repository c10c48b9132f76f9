"""Every subscriber page: one <h1>, no inline style or script, Japanese, in each state of the subscriber."""

from __future__ import annotations

import re

import pytest

from conftest import make_user
from registry import services

from .conftest import apply

pytestmark = pytest.mark.django_db

PAGES = ["/app/", "/app/info/", "/app/members/"]


def assert_page(response):
    assert response.status_code == 200, response
    body = response.content.decode()
    assert body.count("<h1") == 1
    assert not re.search(r"\sstyle=", body)
    assert not re.search(r"<script(?![^>]*\bsrc=)", body)  # only external scripts, with a nonce
    return body


@pytest.mark.parametrize("state", ["none", "applied", "returned", "active", "pending_change", "suspended", "rejected"])
def test_the_member_pages_render_in_every_state(client, subscriber_member, reception, state):
    client.force_login(subscriber_member)
    if state == "none":
        body = assert_page(client.get("/app/"))
        assert "利用申込をする" in body
        assert_page(client.get("/app/apply/"))
        return
    subscriber = apply(subscriber_member)
    if state == "returned":
        services.return_facts(subscriber.open_facts, actor=reception, reason="再提出を")
        assert_page(client.get("/app/apply/resubmit/"))
    if state in ("active", "pending_change", "suspended"):
        from .conftest import approve, evidence_input

        approve(subscriber, reception)
        if state == "pending_change":
            facts = {**subscriber.current_facts.declared(), "organisation_name": "株式会社新"}
            services.submit_change(subscriber, actor=subscriber_member, facts=facts, evidence=evidence_input())
        if state == "suspended":
            services.suspend_subscriber(subscriber, actor=reception, reason="確認中")
        if state == "active":
            assert_page(client.get("/app/info/change/"))
    if state == "rejected":
        services.reject_facts(subscriber.open_facts, actor=reception, reason="確認できません")
    for url in PAGES:
        assert_page(client.get(url))


def test_the_invitation_page_renders(client, active, subscriber_member):
    tokens: list[str] = []

    def remember(token: str) -> str:
        tokens.append(token)
        return token

    services.invite_member(active, actor=subscriber_member, email="c@example.jp", accept_url=remember)
    client.force_login(make_user("c@example.jp", "subscriber"))
    body = assert_page(client.get(f"/app/invitations/{tokens[0]}/"))
    assert "招待を承諾する" in body
    missing = client.get("/app/invitations/not-a-token/")
    assert missing.status_code == 404 and missing.content.decode().count("<h1") == 1
