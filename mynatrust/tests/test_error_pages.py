"""The service's answer when something fails below a view: a database that cannot be reached is a
503 with Retry-After (a restart or fail-over; try again), anything else a 500; JSON under /api/,
the static bilingual page elsewhere. Neither touches the database nor the request context."""

from __future__ import annotations

import json
import re

import pytest
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.test import RequestFactory
from django.utils import translation

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


# The page is in the language the visitor chose with the switch (its cookie, read here again: the
# failure may have come before the middleware that reads it, and a thread keeps the language of the
# request it served before). Japanese, the default, keeps the English line below it for a reader who
# has not found the switch; English is English only. Neither needs the database.
WIDE = re.compile(r"[\u3000-\u30ff\u4e00-\u9fff\uff00-\uffef]")


def _main(page: str) -> str:
    return page.split('<main id="main">')[1].split("</main>")[0]


def _page(exc: Exception, language: str | None) -> str:
    request = RequestFactory().get("/app/delegations/")
    if language:
        request.COOKIES[settings.LANGUAGE_COOKIE_NAME] = language
        request.META["HTTP_COOKIE"] = f"{settings.LANGUAGE_COOKIE_NAME}={language}"
    try:
        raise exc
    except Exception:  # noqa: BLE001
        return server_error(request).content.decode()


@pytest.mark.parametrize("exc", [ValueError("bug"), OperationalError("connection refused")])
def test_the_error_pages_are_english_for_a_reader_of_english(exc):
    with translation.override("ja"):
        page = _page(exc, "en")
    assert '<html lang="en">' in page
    assert "Please try" in _main(page)
    assert WIDE.findall(_main(page) + page.split("<title>")[1].split("</title>")[0]) == []


@pytest.mark.parametrize(
    ("exc", "said"), [(ValueError("bug"), "時間をおいて"), (OperationalError("x"), "しばらくしてから")]
)
def test_the_error_pages_stay_japanese_with_english_below_by_default(exc, said):
    with translation.override("en"):  # what the thread served last does not decide
        page = _page(exc, None)
    assert '<html lang="ja">' in page
    assert said in page
    assert '<p lang="en">' in page and "トップページへ戻る / Home" in page
