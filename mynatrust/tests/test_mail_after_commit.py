"""Mail that follows a decision, with the mail server down: what was decided stays done and the
person who asked gets the normal page, not an error page, while the unsent mail is on the record
(``mail.not_sent``: who, which mail, why; never its body, which may hold a link that signs in)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from conftest import PASSWORD
from mynatrust.models import User
from mynatrust.tests.mail_backends import DOWN, not_sent

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db(transaction=True)
def test_a_sign_up_while_the_mail_server_is_down_gets_the_normal_answer(settings):
    settings.MAILERS = DOWN
    client = Client(raise_request_exception=False)
    response = client.post(
        reverse("registry:signup"),
        {"email": "new@example.jp", "display_name": "新規 利用者", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302
    assert User.objects.filter(email="new@example.jp", is_active=False).exists()
    event = not_sent("new@example.jp")
    assert "/signup/confirm/" not in str(event.data)


@pytest.mark.django_db(transaction=True)
def test_a_password_reset_while_the_mail_server_is_down_is_on_the_record(settings, subscriber_member):
    settings.MAILERS = DOWN
    client = Client(raise_request_exception=False)
    response = client.post(reverse("registry:password_reset"), {"email": subscriber_member.email})
    assert response.status_code == 302
    event = not_sent(subscriber_member.email)
    assert "/reset/" not in str(event.data)


def _calls_send_mail(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(), filename=str(path))
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and (getattr(node.func, "id", None) == "send_mail" or getattr(node.func, "attr", None) == "send_mail")
    ]


def test_mail_that_follows_a_decision_goes_through_one_place():
    """Every mail sent after a commit goes through mynatrust.mail, which never lets a refused mail
    turn a done action into an error page."""
    allowed = {ROOT / "mynatrust" / "mail.py"}
    found = {
        f"{path.relative_to(ROOT)}:{line}"
        for path in ROOT.glob("*/**/*.py")
        if ".venv" not in path.parts and "tests" not in path.parts and path not in allowed
        for line in _calls_send_mail(path)
    }
    assert found == set(), found
