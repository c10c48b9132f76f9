"""Telling recipients that a delegation they checked has ended: when a delegation is revoked or
superseded, each approved organisation holding a kept check result of its ID gets one mail, to the
members who made those checks. Nobody else is told (a recipient that never checked the ID learns
nothing of it). Limited per organisation (VALIDITY_END_NOTICE_RATE): a subscriber revoking many
delegations at once cannot flood a recipient's mailbox; a notice withheld by the limit is an audit
event.

The notice is queued in the durable mail outbox (mynatrust.outbox) inside the transaction that
ended the delegation, recorded as ``validity.end_notice.queued``, and tried as soon as that
transaction commits: a rolled-back decision queues nothing, and a mail server that is down delays
the notice without losing it (the outbox worker tries again). The worker records ``validity.end_notice.sent``, with the numbers sent and not sent,
once every address is done. The mail holds no secret link (its links need signing in), so it may
wait in the database."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, override

import audit
from delegations.standing import Standing
from mynatrust import ratelimit
from mynatrust.outbox import services as outbox
from mynatrust.outbox.models import MailAnnouncement
from validity.models import CheckResult, RecipientOrganisation


def on_delegation_ended(sender: Any, *, delegation: Any, status: str, **kwargs: Any) -> int:
    return notify_checkers(delegation.delegation_id, status=status)


def notify_checkers(delegation_id: str, *, status: str) -> int:
    """Queue a mail to each organisation that kept a check of ``delegation_id``; the number queued."""
    kept = (
        CheckResult.objects.filter(
            delegation_id=delegation_id, organisation__status=RecipientOrganisation.Status.APPROVED
        )
        .select_related("organisation", "checked_by")
        .order_by("organisation_id", "-checked_at", "-pk")
    )
    by_organisation: dict[int, tuple[RecipientOrganisation, CheckResult, set[str]]] = {}
    for row in kept:
        # Only a checker still active and still a member of that organisation.
        user = row.checked_by
        membership = getattr(user, "recipient_membership", None)
        if not user.is_active or membership is None or membership.organisation_id != row.organisation_id:
            continue
        organisation, latest, addresses = by_organisation.setdefault(
            row.organisation_id, (row.organisation, row, set())
        )
        addresses.add(user.email)
    queued = 0
    rate = ratelimit.Rate.parse(settings.VALIDITY_END_NOTICE_RATE)
    for organisation, latest, addresses in by_organisation.values():
        try:
            wait = ratelimit.hit_many([("end_notice", organisation.public_id, rate)], fail_open=False)
        except ratelimit.Unavailable:
            wait = 1
        details = {"delegation_id": delegation_id, "status": status}
        if wait:
            audit.record("validity.end_notice.throttled", actor=audit.SYSTEM, subject=organisation, **details)
            continue
        announcement = _queue(organisation, latest, status, sorted(addresses), details)
        audit.record(
            "validity.end_notice.queued",
            actor=audit.SYSTEM,
            subject=organisation,
            recipients=len(addresses),
            announcement=announcement.pk,
            **details,
        )
        queued += 1
    return queued


def _queue(
    organisation: RecipientOrganisation, latest: CheckResult, status: str, to: list[str], details: dict[str, str]
) -> MailAnnouncement:
    base = settings.SERVICE_BASE_URL.rstrip("/")
    with override(settings.LANGUAGE_CODE):
        context = {
            "organisation": organisation.name,
            "delegation_id": latest.delegation_id,
            "status": Standing(status).label,
            "ended_at": timezone.localtime(),
            "checked_at": timezone.localtime(latest.checked_at),
            "result_link": base + reverse("validity:check_result", kwargs={"public_id": latest.public_id}),
            "check_link": base + reverse("validity:check") + f"?id={latest.delegation_id}",
            "SERVICE_NAME": settings.SERVICE_NAME,
        }
        subject = f"【{settings.SERVICE_NAME}】" + gettext("確認した電子委任状の状態が変わりました")
        body = render_to_string("validity/email/ended.txt", context)
    return outbox.queue_mail(
        subject, body, to=to, event_type="validity.end_notice.sent", about=organisation, details=details, at_once=True
    )
