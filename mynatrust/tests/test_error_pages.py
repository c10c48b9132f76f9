"""The service's answer when something fails below a view: a database that cannot be reached is a
503 with Retry-After (a restart or fail-over; try again), anything else a 500; JSON under /api/,
the static bilingual page elsewhere. Neither touches the database nor the request context."""

from __future__ import annotations

import json

import pytest
from django.db import InterfaceError, OperationalError
from django.test import RequestFactory

from mynatrust.views import server_error


def _answer(path: str, exc: Exception):
    request = RequestFactory().get(path)
    try:
        raise exc
    except Exception:  # noqa: BLE001  (Django calls handler500 inside its except block, as here)
        return server_error(request)


@pytest.mark.parametrize("exc", [OperationalError("connection refused"), InterfaceError("connection already closed")])
def test_an_unreachable_database_is_a_503_to_try_again(exc):
    page = _answer("/app/delegations/", exc)
    assert page.status_code == 503
    assert page["Retry-After"] == "30"
    assert "しばらくしてから" in page.content.decode()
    api = _answer("/api/v1/delegations/7K3Q-9XWA-2M4P-HJ/validity", exc)
    assert api.status_code == 503
    assert api["Content-Type"].startswith("application/json")
    assert api["Cache-Control"] == "no-store"
    error = json.loads(api.content)["error"]
    assert error["code"] == "service_unavailable"
    assert set(error["message"]) == {"ja", "en"}


def test_any_other_failure_is_a_500_and_the_api_still_answers_json():
    page = _answer("/", ValueError("bug"))
    assert page.status_code == 500
    assert not page.has_header("Retry-After")
    assert "サーバーエラー" in page.content.decode()
    api = _answer("/api/v1/openapi.json", ValueError("bug"))
    assert api.status_code == 500
    assert json.loads(api.content)["error"]["code"] == "server_error"
