"""Every URL × every kind of visitor. The table is generated from the URL conf and the audience each
view declares (mynatrust.access), so a new URL is covered the moment it is added."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib import admin
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from conftest import ROLES, make_staff, make_user, otp_login
from mynatrust.roles import Role, role_permissions

SAMPLE = {"int": "1", "str": "sample", "slug": "sample", "uuid": str(uuid.UUID(int=1)), "path": "sample"}
CONVERTER = re.compile(r"<(?:(?P<conv>[a-z]+):)?(?P<name>\w+)>")


@dataclass(frozen=True)
class Route:
    url: str
    name: str
    callback: Any

    @property
    def audience(self) -> str | None:
        return getattr(self.callback, "audience", None) or getattr(
            getattr(self.callback, "view_class", None), "audience", None
        )


def _walk(patterns: list[Any], prefix: str = "", namespace: str = "") -> list[Route]:
    routes: list[Route] = []
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or namespace
            if ns == "admin":
                continue  # the admin is checked per model below
            routes += _walk(entry.url_patterns, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            raw = prefix + str(entry.pattern)
            if raw.startswith("^") or "(?P" in raw:
                raise AssertionError(f"regex URL without a sample: {raw}")
            url = "/" + CONVERTER.sub(lambda m: SAMPLE[m.group("conv") or "str"], raw)
            name = f"{namespace}:{entry.name}" if namespace else str(entry.name)
            routes.append(Route(url, name, entry.callback))
    return routes


ROUTES = _walk(get_resolver().url_patterns)
VISITORS = ["anonymous", "subscriber", "recipient", *ROLES]


def test_every_view_declares_its_audience():
    undeclared = [r.name for r in ROUTES if r.audience is None]
    assert undeclared == []


@pytest.fixture
def visitors(db, client_factory) -> dict[str, Any]:
    clients: dict[str, Any] = {"anonymous": client_factory()}
    for kind in ("subscriber", "recipient"):
        clients[kind] = client_factory()
        clients[kind].force_login(make_user(f"{kind}@matrix.example.jp", kind))
    for role in ROLES:
        clients[role] = client_factory()
        otp_login(clients[role], make_staff(role, f"{role}@matrix.example.jp"))
    return clients


@pytest.fixture
def client_factory():
    from django.test import Client

    return Client


def expected_denial(audience: str, visitor: str) -> int | None:
    """The status a visitor must get, or None when the visitor is allowed in."""
    if audience == "api":
        return 401  # programs with an API key; a browser session counts for nothing
    if audience == "public" or audience == visitor:
        return None
    return 302 if visitor == "anonymous" else 403


def refusals_on_record() -> set[tuple[str, str, int]]:
    """(actor, path, status) of every refusal on the audit record, once the open windows are closed."""
    from datetime import timedelta

    from django.utils import timezone

    from audit import tally
    from audit.models import AuditEvent

    tally.flush(now=timezone.now() + timedelta(minutes=2))
    return {
        (e.actor_label or e.actor_kind, e.data["path"], e.data["status"])
        for e in AuditEvent.objects.filter(event_type__in=["access.denied", "access.not_found"])
    }


def visitor_label(visitor: str) -> str:
    return "anonymous" if visitor == "anonymous" else f"{visitor}@matrix.example.jp"


@pytest.mark.parametrize("route", ROUTES, ids=[r.name for r in ROUTES])
def test_each_url_answers_each_visitor_as_its_audience_says(route: Route, visitors: dict[str, Any]):
    statuses = {}
    refused = set()
    for visitor, client in visitors.items():
        response = client.get(route.url)
        statuses[visitor] = response.status_code
        if response.status_code == 403:
            refused.add((visitor_label(visitor), route.url, 403))
        assert response.status_code < 500, (visitor, route.url)
        denial = expected_denial(route.audience or "", visitor)
        if denial is None:
            assert response.status_code != 403, (visitor, route.url)
            if route.audience != "public":
                assert response.status_code != 302 or "login" not in response["Location"], (visitor, route.url)
        else:
            assert response.status_code == denial, (visitor, route.url, response.status_code)
            if denial == 302:
                assert "login" in response["Location"]
            if denial == 401:
                assert response["Content-Type"].startswith("application/json"), (visitor, route.url)
    if route.audience == "public":
        # A public page behaves the same for everybody.
        assert len(set(statuses.values())) == 1, statuses
    # Every refusal is on the record (§6.2.1): who, which path, which answer.
    assert refused <= refusals_on_record()


ADMIN_MODELS = sorted((model._meta.app_label, model._meta.model_name) for model in admin.site._registry)


def role_can_view(role: str, app_label: str, model_name: str) -> bool:
    perms = role_permissions().get(Role(role), frozenset()) if role in Role.values else frozenset()
    return bool({f"{app_label}.view_{model_name}", f"{app_label}.change_{model_name}"} & perms)


@pytest.mark.parametrize(("app_label", "model_name"), ADMIN_MODELS, ids=[f"{a}.{m}" for a, m in ADMIN_MODELS])
def test_each_admin_list_opens_only_for_the_roles_that_may_see_it(app_label, model_name, visitors):
    url = reverse(f"admin:{app_label}_{model_name}_changelist")
    refused = set()
    for visitor, client in visitors.items():
        status = client.get(url).status_code
        if status == 403:
            refused.add((visitor_label(visitor), url, 403))
        if visitor in ("anonymous", "subscriber", "recipient"):
            assert status == 302, (visitor, url)
        elif role_can_view(visitor, app_label, model_name) or (
            app_label == "auth" and "mynatrust.manage_staff" in role_permissions()[Role(visitor)]
        ):
            assert status == 200, (visitor, url)
        else:
            assert status == 403, (visitor, url, status)
    assert refused <= refusals_on_record()


def test_the_admin_index_opens_for_every_verified_role_and_nobody_else(visitors):
    url = reverse("admin:index")
    for visitor, client in visitors.items():
        status = client.get(url).status_code
        assert status == (200 if visitor in ROLES else 302), visitor
