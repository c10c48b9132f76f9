"""One status for every audience: the subscriber's list, its filter, the delegation page, the mails
and the recipient's validity answer agree on where a delegation stands, and drafting refuses a
period that has ended and warns about one that starts later."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from conftest import post_through_confirmation
from delegations import services
from delegations.models import Delegation
from delegations.services import DelegationError
from delegations.standing import JST, Standing, standing_at, today_in_japan
from delegations.tests.lifecycle import draft_values, make_active, make_draft

FROM, UNTIL = date(2027, 4, 1), date(2028, 3, 31)


def _at(day: date, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=JST)


@pytest.mark.parametrize(
    ("lifecycle", "at", "revoked_at", "superseded", "expected"),
    [
        # the last instant before the first day in Japan (15:00 UTC the day before)
        ("active", _at(FROM) - timedelta(microseconds=1), None, False, Standing.NOT_YET_VALID),
        ("active", _at(FROM), None, False, Standing.VALID),
        # the whole last day counts, in Japan time
        ("active", _at(UNTIL, 23, 59), None, False, Standing.VALID),
        ("active", _at(UNTIL + timedelta(days=1)), None, False, Standing.EXPIRED),
        # a revocation is final and is reported before the period
        ("revoked", _at(UNTIL + timedelta(days=9)), _at(FROM, 9), False, Standing.REVOKED),
        ("superseded", _at(FROM, 12), None, True, Standing.SUPERSEDED),
        # before activation the period says nothing yet
        ("draft", _at(FROM, 12), None, False, Standing.DRAFT),
        ("awaiting_signatures", _at(FROM, 12), None, False, Standing.AWAITING_SIGNATURES),
        ("submitted", _at(FROM, 12), None, False, Standing.SUBMITTED),
        ("rejected", _at(FROM, 12), None, False, Standing.REJECTED),
    ],
)
def test_the_standing_follows_the_period_in_japan_and_the_final_acts(lifecycle, at, revoked_at, superseded, expected):
    assert (
        standing_at(
            lifecycle=lifecycle,
            valid_from=FROM,
            valid_until=UNTIL,
            revoked_at=revoked_at,
            superseded=superseded,
            superseded_at=None,
            at=at,
        )
        is expected
    )


def _recipient_word(client: Any, settings: Any, delegation: Delegation) -> str:
    """What the public check (the validity service's own form) tells a recipient, as a word."""
    settings.VALIDITY_ANONYMOUS_QUERIES = True
    page = client.post(reverse("validity:anonymous_check"), {"delegation_id": delegation.delegation_id})
    html = page.content.decode()
    start = html.index('data-testid="status-word">') + len('data-testid="status-word">')
    return html[start : html.index("<", start)]


def _list(client: Any, **query: str) -> str:
    return client.get(reverse("delegations:list"), query).content.decode()


def _detail(client: Any, delegation: Delegation) -> str:
    return client.get(reverse("delegations:detail", kwargs={"public_id": delegation.public_id})).content.decode()


@pytest.mark.django_db
def test_a_future_delegation_reads_not_yet_valid_to_the_subscriber_and_the_recipient(
    client, subscriber, member, trusted_pki, django_capture_on_commit_callbacks, settings
):
    today = today_in_japan(timezone.now())
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        future = make_active(
            subscriber,
            member,
            trusted_pki,
            valid_from=today + timedelta(days=30),
            valid_until=today + timedelta(days=90),
        )
    current = make_active(subscriber, member, trusted_pki, agent_name="受任 花子")
    assert future.status == Delegation.Status.ACTIVE  # the lifecycle is active; the standing is not
    assert future.current_status is Standing.NOT_YET_VALID
    assert _recipient_word(client, settings, future) == "有効期間前"

    client.force_login(member)
    listing = _list(client)
    assert listing.count(">有効期間前</span>") == 1
    valid_only = _list(client, status="valid")
    assert current.delegation_id in valid_only and future.delegation_id not in valid_only
    waiting = _list(client, status="not_yet_valid")
    assert future.delegation_id in waiting and current.delegation_id not in waiting
    page = _detail(client, future)
    assert "有効期間前" in page and "から有効になります" in page
    activated = [m for m in mail.outbox if future.delegation_id in m.body and "登録しました" in m.body]
    assert activated and "有効期間前" in activated[0].body and "（有効）" not in activated[0].subject


@pytest.mark.django_db
def test_an_ended_period_reads_expired_everywhere(client, subscriber, member, trusted_pki, settings):
    delegation = make_active(subscriber, member, trusted_pki)
    later = datetime.combine(delegation.valid_until + timedelta(days=1), datetime.min.time(), tzinfo=JST)
    with time_machine.travel(later.astimezone(UTC) + timedelta(hours=1), tick=False):
        client.force_login(member)  # a session of a year ago would have ended
        assert delegation.current_status is Standing.EXPIRED
        assert _recipient_word(client, settings, delegation) == "期間満了"
        assert "期間満了" in _detail(client, delegation)
        assert delegation.delegation_id in _list(client, status="expired")
        assert delegation.delegation_id not in _list(client, status="valid")


@pytest.mark.django_db
def test_drafting_refuses_a_period_that_has_ended(client, subscriber, member):
    today = today_in_japan(timezone.now())
    with pytest.raises(DelegationError) as refused:
        make_draft(subscriber, member, valid_from=date(2025, 4, 1), valid_until=today - timedelta(days=1))
    assert refused.value.field == "valid_until" and refused.value.code == "period_ended"
    client.force_login(member)
    values = draft_values(valid_from=date(2025, 4, 1), valid_until=today - timedelta(days=1))
    response = post_through_confirmation(client, reverse("delegations:new"), {k: str(v) for k, v in values.items()})
    assert response.status_code == 200 and "既に過ぎています" in response.content.decode()
    assert not Delegation.objects.exists()


@pytest.mark.django_db
def test_a_draft_that_ended_while_waiting_cannot_be_finalised(subscriber, member):
    today = today_in_japan(timezone.now())
    draft = make_draft(subscriber, member, valid_from=today, valid_until=today + timedelta(days=5))
    with (
        time_machine.travel(timezone.now() + timedelta(days=10), tick=False),
        pytest.raises(DelegationError) as refused,
    ):
        services.finalise_draft(draft, actor=member)
    assert refused.value.code == "period_ended"
    draft.refresh_from_db()
    assert draft.status == Delegation.Status.DRAFT and draft.delegation_id is None


@pytest.mark.django_db
def test_drafting_warns_when_the_period_starts_later(client, subscriber, member):
    today = today_in_japan(timezone.now())
    client.force_login(member)
    values = draft_values(valid_from=today + timedelta(days=10), valid_until=today + timedelta(days=40))
    saved = post_through_confirmation(client, reverse("delegations:new"), {k: str(v) for k, v in values.items()})
    assert "有効期間前" in client.get(saved["Location"]).content.decode()
    assert Delegation.objects.get().status == Delegation.Status.DRAFT


def test_a_lifecycle_state_reads_the_same_word_in_the_admin_as_on_the_pages():
    # The admin shows the model's label, the pages and mails the standing's: one name per status.
    for state in Delegation.Status:
        if state.value in Standing._value2member_map_:
            assert str(state.label) == str(Standing(state.value).label), state
