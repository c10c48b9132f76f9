"""受付番号 (§4.1.5 登録受付の通知): every application and request gets a number a person can quote,
the same number on the page, in the mail and on the 申込受付票 PDF."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date

import pytest
from django.utils import timezone

from registry import reception as numbers
from registry.models import SubscriberFacts

from .conftest import apply

pytestmark = pytest.mark.django_db(transaction=True)

NUMBER = re.compile(r"^[A-Z]-\d{8}-\d{4}$")


def test_numbers_count_per_kind_and_day_in_japan_time():
    day = date(2026, 12, 7)
    first = numbers.next_number(numbers.APPLICATION, day=day)
    second = numbers.next_number(numbers.APPLICATION, day=day)
    other_kind = numbers.next_number(numbers.CHANGE, day=day)
    next_day = numbers.next_number(numbers.APPLICATION, day=date(2026, 12, 8))
    assert (first, second, other_kind, next_day) == (
        "A-20261207-0001",
        "A-20261207-0002",
        "C-20261207-0001",
        "A-20261208-0001",
    )


def test_a_rolled_back_request_uses_no_number():
    from django.db import transaction

    day = date(2026, 12, 7)
    with pytest.raises(RuntimeError), transaction.atomic():
        numbers.next_number(numbers.APPLICATION, day=day)
        raise RuntimeError
    assert numbers.next_number(numbers.APPLICATION, day=day) == "A-20261207-0001"


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError):
        numbers.next_number("Z")


def test_an_application_and_a_change_get_their_numbers(subscriber_member):
    subscriber = apply(subscriber_member)
    facts = subscriber.facts.get()
    assert NUMBER.match(facts.reception_number)
    assert facts.reception_number.startswith("A-" + timezone.localdate().strftime("%Y%m%d"))
    assert subscriber.reception_number == facts.reception_number
    assert numbers.label_of(facts.reception_number) == "利用申込"
    assert SubscriberFacts.objects.filter(reception_number=facts.reception_number).count() == 1


def test_a_change_gets_its_own_number(active, subscriber_member):
    from registry import services

    facts = {**{name: getattr(active.current_facts, name) for name in SubscriberFacts.DECLARED_FIELDS}}
    facts["representative_phone"] = "0398765432"
    version = services.submit_change(active, actor=subscriber_member, facts=facts, evidence=None)
    assert version.reception_number.startswith("C-")
    assert version.reception_number != active.reception_number


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils")
def test_the_applicant_keeps_a_receipt_with_the_number_and_the_review_time(client, subscriber_member, mailoutbox):
    subscriber = apply(subscriber_member)  # committed: the mail goes out
    number = subscriber.reception_number
    body = mailoutbox[-1].body
    assert f"受付番号：{number}" in body and "審査の目安：受付から5日以内" in body and "/app/receipts/1.pdf" in body

    client.force_login(subscriber_member)
    home = client.get("/app/").content.decode()
    assert number in home and "受付から5日以内" in home and "申込受付票（PDF）" in home
    response = client.get("/app/receipts/1.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    for expected in (
        "申込受付票",
        number,
        "株式会社みなと商事",
        "山田 太郎",
        "touki.pdf",
        "受付から5日以内",
        "審査待ち",
    ):
        assert expected in text, expected
    assert client.get("/app/receipts/2.pdf").status_code == 404


def test_another_subscribers_member_cannot_open_the_receipt(client, active, other_subscriber_member):
    client.force_login(other_subscriber_member)
    assert client.get("/app/receipts/1.pdf").status_code == 404


def pdf_text(pdf: bytes) -> str:
    result = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True)  # noqa: S607
    return result.stdout.decode()
