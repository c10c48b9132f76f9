"""An over-long admin search term is cut short with a message, on either database (SQLite refuses a
LIKE pattern past 50,000 bytes)."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import otp_login
from mynatrust.admin_site import MAX_SEARCH_TERM

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("language", ["ja", "en"])
def test_an_enormous_search_term_is_cut_short_and_the_page_says_so(
    client: Any, staff_by_role: Any, settings: Any, language: str
) -> None:
    otp_login(client, staff_by_role["auditor"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(f"/{settings.ADMIN_PATH}audit/auditevent/", {"q": "株" * 60_000})
    assert response.status_code == 200
    page = response.content.decode()
    expected = {
        "ja": f"検索語は {MAX_SEARCH_TERM} 文字までです。",
        "en": f"Search terms are at most {MAX_SEARCH_TERM} characters long.",
    }[language]
    assert expected in page
    assert response.context["cl"].query == "株" * MAX_SEARCH_TERM


def test_a_search_term_within_the_limit_is_left_as_typed(client: Any, staff_by_role: Any, settings: Any) -> None:
    otp_login(client, staff_by_role["auditor"])
    term = "a" * MAX_SEARCH_TERM
    response = client.get(f"/{settings.ADMIN_PATH}audit/auditevent/", {"q": term})
    assert response.status_code == 200
    assert response.context["cl"].query == term
    assert "検索語は" not in response.content.decode()
