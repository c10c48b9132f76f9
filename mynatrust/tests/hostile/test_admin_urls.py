"""Every admin URL, generated from the admin's URL conf, requested by each staff role with
malformed keys in the path and a NUL in query parameters: each answer is a page of the service
(a 400 or 404 in Japanese, a refusal or a redirect), never a 500."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver

from conftest import ROLES, make_staff, otp_login
from mynatrust.tests.hostile.helpers import assert_clear_error

pytestmark = pytest.mark.django_db

CONVERTER = re.compile(r"<(?:(?P<conv>[a-z]+):)?(?P<name>\w+)>")
# Keys no object has: a word with a quote (not a number, an injection attempt) and a number past any
# integer column. More kinds (negative, full-width digits, hexadecimal) on the pages that broke.
MALFORMED_KEYS = ["abc'", "99999999999999999999999"]
MORE_KEYS = ["-1", "１２", "0x1f", "1' OR '1'='1"]
# Query parameters the admin's pages read (filters, search, ordering, the ledgers' "corrects"),
# each carrying a NUL.
NUL_PARAMETERS = ["status", "kind", "ns", "actor_kind", "q", "o", "p", "e", "corrects", "_changelist_filters", "next"]


def _routes(patterns: list[Any], prefix: str = "") -> list[str]:
    routes: list[str] = []
    for entry in patterns:
        if isinstance(entry, URLResolver):
            routes += _routes(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            route = prefix + str(entry.pattern)
            if not route.startswith("^"):  # the catch-all and the JavaScript catalogue are regexes
                routes.append(route)
    return routes


ROUTES = sorted(set(_routes(admin.site.get_urls())))
KEYED = [route for route in ROUTES if CONVERTER.search(route)]


def url_with(route: str, key: str) -> str:
    filled = CONVERTER.sub(lambda m: quote(key, safe=""), route)
    return f"/{settings.ADMIN_PATH}{filled}"


def sample_url(route: str) -> str:
    return url_with(route, "1")


def assert_a_page_of_the_service(response: Any, url: str) -> None:
    assert response.status_code < 500, (url, response.status_code)
    if response.status_code in (400, 404):
        assert_clear_error(response.content.decode())


@pytest.fixture
def staff_client(client):
    def signed_in(role: str) -> Any:
        otp_login(client, make_staff(role, f"{role}@hostile.example.jp"))
        return client

    return signed_in


def test_the_generated_list_covers_the_admin():
    assert len(ROUTES) > 100 and len(KEYED) > 50


@pytest.mark.parametrize("role", ROLES)
def test_a_malformed_key_in_any_admin_url_is_a_404_for_every_role(role, staff_client):
    client = staff_client(role)
    for route in KEYED:
        for key in MALFORMED_KEYS:
            url = url_with(route, key)
            response = client.get(url)
            assert_a_page_of_the_service(response, url)


@pytest.mark.parametrize("role", ROLES)
def test_a_nul_in_any_query_parameter_of_any_admin_url_is_a_400(role, staff_client):
    client = staff_client(role)
    for i, route in enumerate(ROUTES):
        # Each parameter on every len(NUL_PARAMETERS)-th URL: all of them over the whole admin.
        for name in (NUL_PARAMETERS[i % len(NUL_PARAMETERS)], f"x{i}"):
            url = f"{sample_url(route)}?{name}=%00"
            response = client.get(url)
            assert response.status_code == 400, (url, response.status_code)
            assert_clear_error(response.content.decode())


CHANGE_PAGES = [route for route in KEYED if route.endswith("/change/")]


def test_more_kinds_of_malformed_keys_on_every_change_page(staff_client):
    client = staff_client("service_manager")
    for route in CHANGE_PAGES:
        for key in MORE_KEYS:
            url = url_with(route, key)
            assert_a_page_of_the_service(client.get(url), url)


LEDGER_ADDS = [route for route in ROUTES if route.startswith("mynatrust/") and route.endswith("add/")]


@pytest.mark.parametrize("value", ["abc", "1.5", "99999999999999999999999", "-1"])
def test_a_malformed_corrects_on_a_ledger_add_page_is_ignored(value, staff_client):
    client = staff_client("service_manager")
    assert LEDGER_ADDS
    for route in LEDGER_ADDS:
        url = f"{sample_url(route)}?corrects={quote(value)}"
        assert_a_page_of_the_service(client.get(url), url)


@pytest.mark.parametrize("page", ["config", "qrcode"])
def test_the_device_pages_of_a_missing_device_are_a_404(page, staff_client):
    client = staff_client("service_manager")
    for route in (r for r in KEYED if r.endswith(f"/{page}/")):
        url = url_with(route, "999999")
        response = client.get(url)
        assert response.status_code in (403, 404), (url, response.status_code)
