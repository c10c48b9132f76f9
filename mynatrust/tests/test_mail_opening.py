"""Mails never start with text a user chose: a display name or an organisation name (which may be an
unreviewed applicant's) is quoted further down as what was entered, after the service's own line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.template.loader import render_to_string

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
CHOSEN = "至急：口座を確認してください"

CASES: dict[str, dict[str, Any]] = {
    "accounts/email/confirm.txt": {"user": {"display_name": CHOSEN}, "link": "https://x", "SERVICE_NAME": "S"},
    "registry/email/invitation.txt": {
        "organisation": CHOSEN,
        "inviter": {"display_name": CHOSEN, "email": "a@example.jp"},
        "link": "https://x",
        "hours": 72,
    },
    "registry/email/notice.txt": {"organisation": CHOSEN, "what": "applied"},
    "delegations/email/notice.txt": {"organisation": CHOSEN, "what": "stored", "role": "x"},
    "validity/email/decision.txt": {"organisation": CHOSEN, "status": "x", "link": "https://x"},
}


def test_every_mail_body_opens_with_the_services_own_line():
    bodies = {str(p.relative_to(ROOT / "templates")) for p in (ROOT / "templates").rglob("email/*.txt")}
    opened = {name for name in bodies if "{% mail_opening %}" in (ROOT / "templates" / name).read_text()}
    # Mails whose first line holds no user text need no opening: the reset mail, notices to all.
    assert bodies - opened - {name for name in bodies if "subject" in name} <= {
        "accounts/email/password_reset.txt",
        "repository/email/notice_body.txt",
        "admin/email/staff_invitation.txt",
    }


@pytest.mark.parametrize("template", sorted(CASES))
def test_user_chosen_text_is_quoted_and_never_opens_the_mail(template: str):
    text = render_to_string(template, CASES[template])
    first = text.strip().splitlines()[0]
    assert CHOSEN not in first
    assert settings.SERVICE_NAME in first
    assert f"「{CHOSEN}」" in text
