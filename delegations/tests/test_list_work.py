"""Everyday work on the list: a draft the subscriber no longer wants is deleted after a
confirmation, and the list (with its filter) is exported as CSV for Excel."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from delegations.models import Delegation
from delegations.tests.lifecycle import AGENT_NAME, events, make_active, make_draft, make_finalised

pytestmark = pytest.mark.django_db


def test_a_draft_is_deleted_after_a_confirmation(client, subscriber, member):
    draft = make_draft(subscriber, member)
    client.force_login(member)
    url = reverse("delegations:delete", args=[draft.public_id])
    confirm = client.get(url).content.decode()
    assert confirm.count("<h1") == 1 and "button-danger" in confirm
    assert Delegation.objects.filter(pk=draft.pk).exists()  # opening the page deletes nothing
    response = client.post(url)
    assert response.status_code == 302 and response["Location"] == reverse("delegations:list")
    assert not Delegation.objects.filter(pk=draft.pk).exists()
    assert [e.data["public_id"] for e in events("delegations.draft.deleted")] == [draft.public_id]


def test_only_a_draft_can_be_deleted_and_a_refusal_is_recorded(client, subscriber, member):
    finalised = make_finalised(subscriber, member)
    client.force_login(member)
    client.post(reverse("delegations:delete", args=[finalised.public_id]))
    assert Delegation.objects.filter(pk=finalised.pk).exists()
    assert [e.data["code"] for e in events("delegations.draft.delete_refused")] == ["wrong_state"]


def test_another_subscribers_draft_cannot_be_deleted(client, subscriber, member, other_member, other_subscriber):
    draft = make_draft(subscriber, member)
    client.force_login(other_member)
    assert client.post(reverse("delegations:delete", args=[draft.public_id])).status_code == 404
    assert Delegation.objects.filter(pk=draft.pk).exists()


def test_the_list_is_exported_as_csv_for_excel_with_its_filter(client, subscriber, member, trusted_pki):
    active = make_active(subscriber, member, trusted_pki)
    make_draft(subscriber, member, agent_name="=HYPERLINK(1)")
    client.force_login(member)
    response = client.get(reverse("delegations:export"))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[0][:3] == ["電子委任状 ID", "状態", "受任者"]
    assert [active.delegation_id, "有効", AGENT_NAME] == rows[2][:3]
    assert rows[1][2] == "'=HYPERLINK(1)" and rows[1][1] == "下書き"  # a formula stays text
    only_valid = client.get(reverse("delegations:export") + "?status=valid").content.decode("utf-8")
    assert len(list(csv.reader(io.StringIO(only_valid[1:])))) == 2
    assert events("delegations.list.exported")[-1].data["rows"] == 1


def test_the_list_opens_with_counts_of_valid_ending_soon_and_waiting(client, subscriber, member, trusted_pki):
    from datetime import date, timedelta

    today = date.today()
    make_active(subscriber, member, trusted_pki, valid_from=today, valid_until=today + timedelta(days=10))
    make_active(subscriber, member, trusted_pki, valid_from=today, valid_until=today + timedelta(days=200))
    make_finalised(subscriber, member)
    make_draft(subscriber, member)
    client.force_login(member)
    html = client.get(reverse("delegations:list")).content.decode()
    assert 'data-testid="count-valid">2<' in html
    assert 'data-testid="count-ending">1<' in html
    assert 'data-testid="count-waiting">1<' in html
