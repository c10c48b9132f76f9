"""Every transition leaves its audit event, with the subscriber as subject; the admin list stays at a
fixed number of queries however many subscribers there are."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditEvent
from conftest import make_user, otp_login
from registry import services

from .conftest import apply, approve, corporate_number, evidence_input

pytestmark = pytest.mark.django_db


def test_a_whole_life_is_in_the_audit_log(subscriber_member, reception):
    subscriber = apply(subscriber_member)
    services.start_review(subscriber, actor=reception)
    services.return_facts(subscriber.open_facts, actor=reception, reason="証明書が不鮮明")
    services.resubmit_facts(
        subscriber, actor=subscriber_member, facts=subscriber.open_facts.declared(), evidence=evidence_input()
    )
    approve(subscriber, reception)
    facts = {**subscriber.current_facts.declared(), "address": "東京都港区海岸1-1-1"}
    change = services.submit_change(subscriber, actor=subscriber_member, facts=facts, evidence=evidence_input())
    services.reject_facts(change, actor=reception, reason="所在地の証明がありません")
    invitation = services.invite_member(subscriber, actor=subscriber_member, email="c@example.jp", accept_url=str)
    services.revoke_invitation(invitation, actor=subscriber_member)
    services.suspend_subscriber(subscriber, actor=reception, reason="調査")
    services.reinstate_subscriber(subscriber, actor=reception, reason="調査終了")
    services.terminate_subscriber(subscriber, actor=reception, reason="解約")
    trail = list(
        AuditEvent.objects.filter(event_type__startswith="registry.")
        .order_by("id")
        .values_list("event_type", flat=True)
    )
    assert trail == [
        "registry.evidence.uploaded",
        "registry.subscriber.applied",
        "registry.subscriber.review_started",
        "registry.facts.returned",
        "registry.evidence.uploaded",
        "registry.facts.resubmitted",
        "registry.facts.nta_confirmed",  # the reviewer's rows, with the approval
        "registry.subscriber.approved",
        "registry.evidence.uploaded",
        "registry.facts.change_submitted",
        "registry.facts.rejected",
        "registry.member.invited",
        "registry.member.invitation_revoked",
        "registry.subscriber.suspended",
        "registry.subscriber.reinstated",
        "registry.subscriber.terminated",
    ]
    subjects = set(
        AuditEvent.objects.filter(event_type__startswith="registry.")
        .exclude(event_type="registry.evidence.uploaded")
        .values_list("subject_id", flat=True)
    )
    assert subjects == {subscriber.public_id}
    approved = AuditEvent.objects.get(event_type="registry.subscriber.approved")
    assert (approved.actor_kind, approved.actor_id) == ("staff", str(reception.pk))
    applied = AuditEvent.objects.get(event_type="registry.subscriber.applied")
    assert (applied.actor_kind, applied.actor_id) == ("subscriber", str(subscriber_member.pk))


def test_the_admin_list_costs_the_same_queries_for_one_or_many_subscribers(
    client, reception, django_assert_max_num_queries
):
    otp_login(client, reception)
    url = reverse("admin:registry_subscriber_changelist")
    apply(make_user("one@example.jp", "subscriber"), number=corporate_number("011001000001"))
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    for index in range(2, 7):
        apply(make_user(f"m{index}@example.jp", "subscriber"), number=corporate_number(f"01100100000{index}"))
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert client.get(url).status_code == 200
