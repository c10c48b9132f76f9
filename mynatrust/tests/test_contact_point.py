"""The contact point of §1.3 and the names of §1.2, from settings: on every public page's footer,
on the error pages and in every mail."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory

from mynatrust import views

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
PHONE = "099-111-2222"
COMPANY = "株式会社テスト運営"
FORMAL = "テスト電子委任状〔委任者記録ファイル方式〕"


@pytest.fixture(autouse=True)
def contact(settings):
    settings.CONTACT_PHONE = PHONE
    settings.OPERATOR_NAME = COMPANY
    settings.SERVICE_FORMAL_NAME = FORMAL
    settings.CONTACT_ADDRESS = "和歌山県和歌山市テスト町1番地"


@pytest.mark.parametrize("path", ["/", "/repository/", "/app/login/", "/recipient/login/", "/app/signup/"])
def test_every_public_page_shows_the_contact_point_and_the_operator(client, path):
    body = client.get(path).content.decode()
    assert PHONE in body and "和歌山県和歌山市テスト町1番地" in body
    assert "9:00" in body and "17:00" in body
    assert COMPANY in body and FORMAL in body


def test_the_server_error_page_shows_the_contact_point():
    request = RequestFactory().get("/")
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        response = views.server_error(request)
    assert PHONE in response.content.decode()


def test_every_mail_ends_with_the_contact_point():
    bodies = [p for p in (ROOT / "templates").rglob("email/*.txt") if "subject" not in p.name]
    assert bodies
    assert [str(p.relative_to(ROOT)) for p in bodies if "{% contact_point_text %}" not in p.read_text()] == []
    text = render_to_string(
        "accounts/email/confirm.txt", {"user": {"display_name": "山田"}, "link": "https://x", "SERVICE_NAME": "S"}
    )
    assert PHONE in text and COMPANY in text
