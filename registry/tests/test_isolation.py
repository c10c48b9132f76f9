"""Tenant isolation: a member of A never sees or changes B's data, by any URL."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from registry.models import Invitation

from .conftest import events

pytestmark = pytest.mark.django_db


def registry_patterns():
    for pattern in get_resolver().url_patterns:
        if isinstance(pattern, URLResolver) and pattern.namespace == "registry":
            yield from (p for p in pattern.url_patterns if isinstance(p, URLPattern))


def registry_routes():
    for pattern in registry_patterns():
        yield "/app/" + str(pattern.pattern)


def test_every_registry_view_declares_its_audience():
    patterns = list(registry_patterns())
    assert len(patterns) > 10
    for pattern in patterns:
        assert getattr(pattern.callback, "audience", None) in ("public", "subscriber"), pattern


def test_a_member_of_a_sees_only_a(client, active, other_active, other_subscriber_member):
    from registry import services

    invitation = services.invite_member(
        active, actor=active.memberships.get().user, email="x@subscriber-a.example.jp", accept_url=lambda t: t
    )
    a_evidence = active.current_facts.evidence.get()
    client.force_login(other_subscriber_member)
    b_pages = "".join(client.get(url).content.decode() for url in ("/app/", "/app/info/", "/app/members/"))
    assert "合同会社きた" in b_pages
    assert "株式会社みなと商事" not in b_pages and active.corporate_number not in b_pages
    assert client.get(f"/app/evidence/{a_evidence.public_id}/").status_code == 404
    assert client.post(f"/app/members/invitations/{invitation.public_id}/revoke/").status_code == 404
    assert Invitation.objects.get().revoked_at is None
    # Every route with a public identifier, filled with A's identifiers, answers 404 for B.
    for route in registry_routes():
        if "<str:public_id>" in route:
            for public_id in (a_evidence.public_id, invitation.public_id, active.public_id):
                url = route.replace("<str:public_id>", public_id)
                assert client.get(url).status_code in (404, 405), url
                assert client.post(url).status_code == 404, url


def test_own_evidence_downloads_as_an_attachment(client, active, subscriber_member):
    evidence = active.current_facts.evidence.get()
    client.force_login(subscriber_member)
    response = client.get(f"/app/evidence/{evidence.public_id}/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("url", ["/app/info/", "/app/info/change/", "/app/members/", "/app/apply/resubmit/"])
def test_an_account_without_a_subscriber_gets_404_not_someone_elses_data(client, active, url):
    from conftest import make_user

    client.force_login(make_user("lonely@example.jp", "subscriber"))
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("kind", ["recipient", "staff"])
def test_other_kinds_of_account_are_refused(client, active, kind, recipient, reception):
    client.force_login(recipient if kind == "recipient" else reception)
    for url in ("/app/", "/app/info/", "/app/members/", "/app/apply/"):
        assert client.get(url).status_code == 403


def test_anonymous_visitors_are_sent_to_the_login(client, active):
    response = client.get("/app/info/")
    assert response.status_code == 302 and "/app/login/" in response["Location"]
    assert not events("registry.evidence.viewed")


def test_opening_another_subscribers_object_is_on_the_record(client, active, other_active, other_subscriber_member):
    from datetime import timedelta

    from django.utils import timezone

    from audit import tally

    a_evidence = active.current_facts.evidence.get()
    client.force_login(other_subscriber_member)
    for _ in range(3):
        assert client.get(f"/app/evidence/{a_evidence.public_id}/").status_code == 404
    assert client.get("/app/evidence/EV-NOSUCHTHING/").status_code == 404
    tally.flush(now=timezone.now() + timedelta(minutes=2))
    got = {(e.actor_label, e.data["path"], e.data["reason"], e.data["count"]) for e in events("access.not_found")}
    assert got == {
        (other_subscriber_member.email, f"/app/evidence/{a_evidence.public_id}/", "other_tenant", 3),
        (other_subscriber_member.email, "/app/evidence/EV-NOSUCHTHING/", "not_found", 1),
    }
