"""Retention of drafts never submitted (§2.8(10)): a draft nobody has saved for 6 months is no
longer needed and is deleted whole, each deletion on the audit log. A draft is not signed and not a
registered record; anything past the draft (finalised, submitted, registered, ended) is never
touched by this kind, however old. The list tells the subscriber how long an untouched draft stays."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from delegations import services
from delegations.models import Delegation
from delegations.tests.lifecycle import events, make_active, make_draft, make_finalised

pytestmark = pytest.mark.django_db

KIND = "delegations.idle_draft"


def last_saved(delegation: Delegation, *, days_ago: float, **fields: object) -> Delegation:
    """Pretend the delegation was last saved ``days_ago`` days ago (and created a year before that)."""
    at = timezone.now() - timedelta(days=days_ago)
    Delegation.objects.filter(pk=delegation.pk).update(updated_at=at, created_at=at - timedelta(days=365), **fields)
    delegation.refresh_from_db()
    return delegation


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("apply_retention", "--kind", KIND, *args, stdout=out)
    return out.getvalue()


def deletions() -> list:
    return [e for e in events("retention.deleted") if e.subject_id == KIND]


def test_a_draft_nobody_saved_for_six_months_is_deleted_and_the_deletion_recorded(subscriber, member):
    idle = last_saved(make_draft(subscriber, member), days_ago=186)
    # Created long ago but saved last month: the clock runs from the last change.
    edited = last_saved(make_draft(subscriber, member, agent_identifier="A-002"), days_ago=30)

    run()

    assert list(Delegation.objects.values_list("pk", flat=True)) == [edited.pk]
    [event] = deletions()
    assert event.data["ids"] == [idle.public_id]
    assert (event.data["model"], event.data["count"], event.data["period"]) == ("delegations.delegation", 1, "6m")


def test_a_draft_saved_inside_the_period_is_kept(subscriber, member):
    draft = last_saved(make_draft(subscriber, member), days_ago=175)
    run()
    assert Delegation.objects.filter(pk=draft.pk).exists()
    assert not deletions()


def test_a_dry_run_counts_the_idle_drafts_and_deletes_none(subscriber, member):
    draft = last_saved(make_draft(subscriber, member), days_ago=400)
    output = run("--dry-run")
    assert f"{KIND}: 保存期間 6 か月、" in output and "より前のもの 1 件" in output
    assert Delegation.objects.filter(pk=draft.pk).exists()
    assert not deletions()


def test_a_delegation_past_its_draft_is_never_touched_however_old(subscriber, member, trusted_pki):
    finalised = last_saved(make_finalised(subscriber, member), days_ago=3650)
    active = last_saved(make_active(subscriber, member, trusted_pki, agent_identifier="A-002"), days_ago=3650)
    submitted = last_saved(
        make_finalised(subscriber, member, agent_identifier="A-003"),
        days_ago=3650,
        status=Delegation.Status.SUBMITTED,
    )
    rejected = last_saved(
        make_finalised(subscriber, member, agent_identifier="A-004"),
        days_ago=3650,
        status=Delegation.Status.REJECTED,
    )

    assert "より前のもの 0 件" in run("--dry-run")
    run()

    kept = {finalised.pk, active.pk, submitted.pk, rejected.pk}
    assert set(Delegation.objects.values_list("pk", flat=True)) == kept
    assert not deletions()


def test_an_idle_update_draft_goes_and_its_original_stays_registered(subscriber, member, trusted_pki):
    original = make_active(subscriber, member, trusted_pki)
    update = last_saved(services.start_update(original, actor=member), days_ago=186)

    run()

    assert not Delegation.objects.filter(pk=update.pk).exists()
    original.refresh_from_db()
    assert original.is_registered and original.superseded_by_id is None
    # The update may be started afresh.
    assert services.start_update(original, actor=member).replaces_id == original.pk


def test_a_draft_finalised_after_the_run_listed_it_is_not_deleted(subscriber, member, after_retention_lists):
    # The run lists the idle drafts, then deletes them; one finalised in between is no draft any more.
    draft = last_saved(make_draft(subscriber, member), days_ago=186)
    after_retention_lists(lambda: services.finalise_draft(draft, actor=member))
    run()
    assert Delegation.objects.get(pk=draft.pk).awaits_signatures
    assert not deletions()


def test_the_list_tells_the_subscriber_when_an_untouched_draft_is_deleted(client, subscriber, member, settings):
    client.force_login(member)
    notice = "保存したまま 6 か月変更のない下書きは、自動的に削除されます。"
    assert notice not in client.get(reverse("delegations:list")).content.decode()  # no draft, no notice
    make_draft(subscriber, member)
    assert notice in client.get(reverse("delegations:list")).content.decode()
    # The page says the period the service really keeps.
    settings.RETENTION_PERIODS = {**settings.RETENTION_PERIODS, KIND: "3m"}
    assert "保存したまま 3 か月変更のない下書き" in client.get(reverse("delegations:list")).content.decode()
