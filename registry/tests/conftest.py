"""Registry fixtures: valid corporate numbers, PDFs, applications at each stage."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from stdnum.jp import cn

from conftest import make_user

FACTS = {
    "organisation_name": "株式会社みなと商事",
    "address": "東京都港区芝公園一丁目2番3号",
    "representative_title": "代表取締役",
    "representative_name": "山田 太郎",
    "representative_address": "東京都世田谷区太子堂四丁目5番6号",
    "representative_phone": "0312345678",
    "representative_birth_date": None,
}


def corporate_number(base: str = "010401012345") -> str:
    """A valid 13-digit corporate number around a 12-digit company registry number."""
    return cn.calc_check_digit(base) + base


def make_pdf(text: str = "履歴事項全部証明書", *, encrypt: str | None = None, pages: int = 1) -> bytes:
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    doc = canvas.Canvas(buffer, encrypt=encrypt)
    for number in range(pages):
        doc.drawString(72, 720, f"{text} {number + 1}")
        doc.showPage()
    doc.save()
    return buffer.getvalue()


def evidence_input(**overrides: Any) -> Any:
    from django.utils import timezone

    from registry.pdf_check import check_pdf
    from registry.services import EvidenceInput

    content = overrides.pop("content", None) or make_pdf()
    return EvidenceInput(
        issued_on=overrides.pop("issued_on", timezone.localdate() - timedelta(days=5)),
        pdf=check_pdf(content, max_size=10 * 1024 * 1024),
        file_name=overrides.pop("file_name", "touki.pdf"),
    )


def apply(user: Any, *, number: str | None = None, **facts: Any) -> Any:
    from registry import services

    return services.apply_for_registration(
        actor=user,
        kind=facts.pop("kind", "corporation"),
        corporate_number=number if number is not None else corporate_number(),
        facts={**FACTS, **facts},
        evidence=evidence_input(),
        terms_accepted=True,
        antisocial_declared=True,
    )


def approve(subscriber: Any, reviewer: Any, **overrides: Any) -> Any:
    from registry import services

    facts = subscriber.open_facts
    return services.approve_facts(
        facts,
        actor=reviewer,
        company_registry_number=overrides.get("company_registry_number", subscriber.corporate_number[1:]),
        registered_representative_name=overrides.get("name", facts.representative_name),
        registered_representative_address=overrides.get("address", facts.representative_address),
        nta_confirmation=every_nta_row_matches(),
    )


def every_nta_row_matches() -> Any:
    """The reviewer's confirmation that each row of the NTA record matches (see test_review.py)."""
    from registry.services import NTA_ROWS, NtaRow

    return {key: NtaRow("match") for key in NTA_ROWS}


@pytest.fixture
def reception(db: None) -> Any:
    from conftest import make_staff

    return make_staff("reception", "reception@staff.example.jp")


@pytest.fixture
def applied(subscriber_member: Any) -> Any:
    return apply(subscriber_member)


@pytest.fixture
def active(applied: Any, reception: Any) -> Any:
    approve(applied, reception)
    applied.refresh_from_db()
    return applied


@pytest.fixture
def other_active(other_subscriber_member: Any, reception: Any) -> Any:
    subscriber = apply(
        other_subscriber_member,
        number=corporate_number("011001099999"),
        organisation_name="合同会社きた",
        representative_name="佐藤 花子",
    )
    approve(subscriber, reception)
    subscriber.refresh_from_db()
    return subscriber


def events(event_type: str) -> list[Any]:
    from audit.models import AuditEvent

    return list(AuditEvent.objects.filter(event_type=event_type).order_by("id"))


__all__ = ["FACTS", "apply", "approve", "corporate_number", "events", "evidence_input", "make_pdf", "make_user"]


def make_invitation(model: Any, inviter: Any, *, ended: str, days_ago: float, **organisation: Any) -> Any:
    """An invitation of ``model`` (the subscribers' or the recipients') to ``organisation``
    (``subscriber=…`` or ``organisation=…``) that ended ``days_ago`` days ago the way ``ended`` says:
    "accepted", "revoked" or "expired"; "open": sent that long ago and still valid."""
    import secrets

    from django.utils import timezone

    at = timezone.now() - timedelta(days=days_ago)
    fields: dict[str, Any] = {"created_at": at - timedelta(days=1), "expires_at": at + timedelta(days=2)}
    if ended == "accepted":
        fields |= {"accepted_at": at, "accepted_by": make_user(f"{secrets.token_hex(4)}@example.jp", inviter.kind)}
    elif ended == "revoked":
        fields |= {"revoked_at": at}
    elif ended == "expired":
        fields |= {"created_at": at - timedelta(days=3), "expires_at": at}
    else:
        fields |= {"created_at": at, "expires_at": timezone.now() + timedelta(hours=1)}
    return model.objects.create(
        **organisation,
        email=f"{secrets.token_hex(4)}@invited.example.jp",
        token_hash=secrets.token_hex(32),
        invited_by=inviter,
        **fields,
    )


def open_behind_closed(client: Any, url: str, model: Any, inviter: Any, **organisation: Any) -> tuple[str, list[str]]:
    """One open invitation of ``model`` sent 5 days ago, then 51 newer ones that have ended since
    (accepted, withdrawn and expired in turn): more than the members page shows at once. Returns
    the open one's address and the invited addresses the members page at ``url`` lists to ``inviter``."""
    import re

    still_open = make_invitation(model, inviter, ended="open", days_ago=5, **organisation)
    for number in range(51):
        ended = ("accepted", "revoked", "expired")[number % 3]
        make_invitation(model, inviter, ended=ended, days_ago=0.5, **organisation)
    client.force_login(inviter)
    page = client.get(url).content.decode()
    return still_open.email, re.findall(r"[0-9a-f]{8}@invited\.example\.jp", page)
