"""Nothing a signed-in person sees or downloads is kept by a browser or a proxy cache: every
authenticated response is ``private, no-store`` (a middleware), public pages stay cacheable."""

from __future__ import annotations

import pytest
from django.urls import reverse

from conftest import make_staff, otp_login

pytestmark = pytest.mark.django_db


def assert_not_stored(response) -> None:
    directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
    assert {"private", "no-store"} <= directives, response.get("Cache-Control")


def test_every_page_of_a_signed_in_visitor_is_private_and_not_stored(client, subscriber_member, recipient):
    for user, url in ((subscriber_member, "/app/"), (recipient, "/recipient/"), (subscriber_member, "/")):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code in (200, 302), url
        assert_not_stored(response)
        client.logout()


def test_admin_pages_are_not_stored(client):
    otp_login(client, make_staff("auditor"))
    assert_not_stored(client.get(reverse("admin:index")))


def test_public_pages_for_anonymous_visitors_keep_their_own_caching(client):
    assert "no-store" not in client.get("/").get("Cache-Control", "")
    assert client.get("/.well-known/jwks.json")["Cache-Control"] == "public, max-age=300"
