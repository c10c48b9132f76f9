"""A check through the form ends on a page with its own address: bookmarked, reloaded or opened
again from the recipient's history, it shows the answer given then and asks nothing again."""

from __future__ import annotations

import io
from datetime import datetime

import time_machine
from django.urls import reverse

from audit.models import AuditEvent
from mynatrust.lib import delegation_id as ids
from validity.answer import JST

from .conftest import facts, make_organisation


def _check(client, delegation_id):
    return client.post(reverse("validity:check"), {"delegation_id": delegation_id})


def test_the_result_has_an_address_that_shows_the_same_answer_without_asking_again(
    client, recipient, organisation, stored
):
    delegation_id = ids.generate()
    stored(facts(delegation_id))
    client.force_login(recipient)
    with time_machine.travel(datetime(2026, 5, 1, 9, tzinfo=JST), tick=False):
        response = _check(client, delegation_id)
    assert response.status_code == 303
    result = response["Location"]
    assert result.startswith("/recipient/checks/")
    for _ in range(2):  # a reload, a bookmark: the same page, no second query
        page = client.get(result)
        html = page.content.decode()
        assert page.status_code == 200 and html.count("<h1") == 1
        assert 'data-status="valid"' in html and delegation_id in html
        assert "2026年5月1日 09:00:00" in html
    assert AuditEvent.objects.filter(event_type="validity.query").count() == 1


def test_another_organisation_cannot_open_the_result(client, recipient, organisation, stored):
    delegation_id = ids.generate()
    client.force_login(recipient)
    result = _check(client, delegation_id)["Location"]
    other = make_organisation(name="株式会社別会社")
    client.force_login(other.members.get().user)
    assert client.get(result).status_code == 404
    assert reverse("validity:history") in client.get(reverse("validity:home")).content.decode()
    assert delegation_id not in client.get(reverse("validity:history")).content.decode()


def test_the_history_lists_the_organisations_checks_newest_first(client, recipient, organisation, stored):
    first, second = ids.generate(), ids.generate()
    stored(facts(first))
    client.force_login(recipient)
    with time_machine.travel(datetime(2026, 5, 1, 9, tzinfo=JST), tick=False):
        _check(client, first)
    with time_machine.travel(datetime(2026, 5, 2, 10, tzinfo=JST), tick=False):
        _check(client, second)
    html = client.get(reverse("validity:history")).content.decode()
    assert html.count("<h1") == 1
    assert html.index(second) < html.index(first)
    assert "有効" in html and "該当なし" in html
    assert "2026年5月2日 10:00" in html


def test_the_demo_recipients_history_holds_one_check_of_the_demo_delegation(settings, tmp_path, db):
    from django.core.management import call_command

    from validity.models import CheckResult

    settings.DEMO_MODE = True
    settings.SIGNATURE_TEST_PKI_DIR = str(tmp_path / "testpki")
    settings.VALIDITY_SIGNING_KEY_FILE = str(tmp_path / "validity.pem")
    call_command("demo_setup", stdout=io.StringIO())
    call_command("demo_setup", stdout=io.StringIO())  # kept once
    # One check of the active delegation, and one of the delegation revoked since (the end notice).
    results = list(CheckResult.objects.all())
    assert sorted(r.status for r in results) == ["valid", "valid"]
    kept = results[-1]
    assert kept.status == "valid" and kept.organisation.name == "デモ受領商事株式会社"
    # The demo recipient's members: the registering account administers, a colleague does not.
    roles = {m.user.email: m.role for m in kept.organisation.members.select_related("user")}
    assert roles == {
        "recipient@demo.mynatrust.example.jp": "applicant",
        "recipient-colleague@demo.mynatrust.example.jp": "member",
    }
