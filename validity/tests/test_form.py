"""The validity form under /recipient/check/ and the anonymous form."""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import datetime

import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audit.models import AuditEvent
from mynatrust.lib import delegation_id as ids
from validity.answer import JST

from .conftest import facts
from .test_api import verify_answer


def test_an_unknown_id_shows_a_page_that_cannot_be_misread(client, recipient, organisation):
    client.force_login(recipient)
    delegation_id = ids.generate()
    response = client.post(
        reverse("validity:check"), {"delegation_id": ids.compact(delegation_id).lower()}, follow=True
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    assert page.count("<h1") == 1
    assert 'data-status="unknown"' in page
    assert "該当なし" in page
    assert delegation_id in page
    event = AuditEvent.objects.get(event_type="validity.query")
    assert event.data["channel"] == "form"
    assert event.data["organisation"] == organisation.name


def test_a_typo_is_shown_on_the_form(client, recipient, organisation):
    client.force_login(recipient)
    response = client.post(reverse("validity:check"), {"delegation_id": "7K3Q-9XWA-2M4P-HK"})
    assert response.status_code == 200
    assert "入力の誤り" in response.content.decode()
    assert not AuditEvent.objects.filter(event_type="validity.query").exists()


def test_a_held_file_is_hashed_on_the_server_compared_and_never_stored(
    client, recipient, organisation, stored, tmp_path
):
    held = b"%PDF-1.7 the signed delegation" * 1000
    delegation_id = ids.generate()
    stored(facts(delegation_id, signed_file_sha256=hashlib.sha256(held).hexdigest()))
    client.force_login(recipient)
    with time_machine.travel(datetime(2026, 5, 1, 9, tzinfo=JST), tick=False):
        response = client.post(
            reverse("validity:check"),
            {"delegation_id": delegation_id, "file": SimpleUploadedFile("委任状.pdf", held, "application/pdf")},
            follow=True,
        )
    page = response.content.decode()
    assert 'data-status="valid"' in page
    assert "一致：" in page
    assert hashlib.sha256(held).hexdigest() in page
    assert "入札及び見積に関する一切の件" in page
    assert "2026年4月1日 〜 2027年3月31日" in page
    assert "2026年5月1日 09:00:00" in page  # when it was checked, in Japan time
    # The downloadable record is the signed answer, and it verifies.
    data_url = re.search(r'href="data:application/jose;base64,([^"]+)"', page)
    assert data_url
    token = base64.b64decode(data_url.group(1)).decode()
    answer = verify_answer.verify(token, client.get("/.well-known/jwks.json").json())
    assert answer["digest_match"] is True
    other = client.post(
        reverse("validity:check"),
        {"delegation_id": delegation_id, "file": SimpleUploadedFile("別.pdf", b"another file", "application/pdf")},
        follow=True,
    ).content.decode()
    assert "不一致：" in other


def test_the_form_is_limited_per_recipient(client, recipient, organisation, settings):
    settings.VALIDITY_RATE_FORM = "2/60"
    client.force_login(recipient)
    statuses = [client.post(reverse("validity:check"), {"delegation_id": ids.generate()}).status_code for _ in range(3)]
    assert statuses == [303, 303, 429]


def test_the_form_needs_the_csrf_token(recipient, organisation):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(recipient)
    assert strict.post(reverse("validity:check"), {"delegation_id": ids.generate()}).status_code == 403


def test_anonymous_queries_are_off_by_default(client, db):
    assert client.get(reverse("validity:anonymous_check")).status_code == 404


def test_anonymous_queries_give_only_the_status_word_under_a_stricter_limit(client, db, settings, stored):
    settings.VALIDITY_ANONYMOUS_QUERIES = True
    settings.VALIDITY_RATE_ANONYMOUS = "2/600"
    delegation_id = ids.generate()
    stored(facts(delegation_id))
    with time_machine.travel(datetime(2026, 5, 1, 9, tzinfo=JST), tick=False):
        page = client.post(reverse("validity:anonymous_check"), {"delegation_id": delegation_id}).content.decode()
    assert "有効" in page
    assert "株式会社サンプル" not in page
    assert "入札" not in page
    assert "jose" not in page
    # (the query above counted in a window of its own time)
    statuses = [
        client.post(reverse("validity:anonymous_check"), {"delegation_id": ids.generate()}).status_code
        for _ in range(3)
    ]
    assert statuses == [200, 200, 429]
    assert AuditEvent.objects.filter(event_type="validity.query", data__channel="anonymous").count() == 3


def test_the_result_page_writes_its_moments_in_the_readers_language(client, recipient, organisation, stored, settings):
    delegation_id = ids.generate()
    stored(facts(delegation_id))
    client.force_login(recipient)
    asked = datetime(2026, 5, 1, 9, 5, 7, tzinfo=JST)
    with time_machine.travel(asked, tick=False):
        japanese = client.post(
            reverse("validity:check"), {"delegation_id": delegation_id}, follow=True
        ).content.decode()
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        english = client.post(reverse("validity:check"), {"delegation_id": delegation_id}, follow=True).content.decode()
    assert ">2026年5月1日 09:05:07</time>" in japanese
    assert ">May 1, 2026 09:05:07</time>" in english
    assert "2026年" not in english  # the period's days too
    assert 'data-testid="period">April 1, 2026 to March 31, 2027<' in english
    assert 'data-testid="period">2026年4月1日 〜 2027年3月31日<' in japanese
