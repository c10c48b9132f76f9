"""Programs' requests to the API go through the shorter middleware stack (API_MIDDLEWARE): no
session, authentication or CSRF layers, the same security headers and refusals as every page."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from mynatrust.lib import delegation_id as ids

pytestmark = pytest.mark.django_db

SECURITY_HEADERS = (
    "Content-Security-Policy",
    "X-Frame-Options",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "Cross-Origin-Opener-Policy",
    "Content-Language",
)


def url(delegation_id: str) -> str:
    return f"/api/v1/delegations/{delegation_id}/validity"


def test_a_program_gets_the_same_security_headers_without_the_session_layers(client, api_key):
    keyed = client.get(url(ids.generate()), HTTP_AUTHORIZATION=f"Bearer {api_key}")
    unkeyed = client.get(url(ids.generate()))  # no key: the full stack (a browser may open the URL)
    assert keyed.status_code == 200 and unkeyed.status_code == 401
    for name in SECURITY_HEADERS:
        assert keyed[name] == unkeyed[name], name
    assert keyed["X-Request-ID"] and keyed["X-Request-ID"] != unkeyed["X-Request-ID"]
    assert "Accept-Language" in keyed["Vary"]
    # The shorter stack: nothing set up a session or a user for the program.
    assert not hasattr(keyed.wsgi_request, "session") and not hasattr(keyed.wsgi_request, "user")
    assert hasattr(unkeyed.wsgi_request, "session") and hasattr(unkeyed.wsgi_request, "user")
    assert "Set-Cookie" not in keyed.headers


def _api_views(patterns: list, prefix: str = "") -> list[tuple[str, object]]:
    found = []
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            found += _api_views(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern) and route.startswith("api/v1/"):
            found.append((route, pattern.callback))
    return found


def test_every_view_under_api_is_csrf_exempt():
    """The shorter stack has no CSRF layer: it may only serve views that need none."""
    views = _api_views(get_resolver().url_patterns)
    assert views
    for route, view in views:
        assert getattr(view, "csrf_exempt", False), route


def test_a_program_is_refused_as_before_on_the_shorter_stack(client, api_key, settings):
    auth = {"HTTP_AUTHORIZATION": f"Bearer {api_key}"}
    nul = client.get(url(ids.generate()) + "?sha256=%00", **auth)
    assert nul.status_code == 400 and nul.json()["error"]["code"] == "bad_request"
    posted = client.post(url(ids.generate()), **auth)
    assert posted.status_code == 405 and posted["Allow"] == "GET, HEAD"
    settings.MAX_UPLOAD_SIZE = 10
    large = client.generic("GET", url(ids.generate()), "x" * 100, **auth)
    assert large.status_code == 413
    missing = client.get("/api/v1/no-such-thing", **auth)
    assert missing.status_code == 404
    wrong_host = client.get(url(ids.generate()), HTTP_HOST="attacker.example", **auth)
    assert wrong_host.status_code == 400
