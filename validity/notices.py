"""Telling recipients that a delegation they checked has ended: when a delegation is revoked or
superseded, each approved organisation holding a kept check result of its ID gets one mail, to the
members who made those checks. Nobody else is told (a recipient that never checked the ID learns
nothing of it). Limited per organisation (VALIDITY_END_NOTICE_RATE): a subscriber revoking many
delegations at once cannot flood a recipient's mailbox; a notice withheld by the limit is an audit
event.

The notice is queued in the durable mail outbox (mynatrust.outbox) inside the transaction that
ended the delegation, recorded as ``validity.end_notice.queued``, and tried as soon as that
transaction commits: a rolled-back decision queues nothing, and a mail server that is down delays
the notice without losing it (the outbox worker tries again). The worker records
``validity.end_notice.sent``, with the numbers sent and not sent, once every address is done. The
mail holds no secret link (its links need signing in), so it may wait in the database.

The limit counts the end notices already in the outbox for the organisation over the last window,
in the same transaction, with the organisation's row locked until it ends (:func:`_within_limit`).
Only committed notices count: a decision that rolls back takes its notice, and its share of the
allowance, with it. Two decisions at once count one after the other, so together they never exceed
the limit. The count needs no cache, so a Redis outage neither withholds a notice nor lets one
through uncounted."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
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


END_NOTICE = "validity.end_notice.sent"  # the completion event that marks an end notice in the outbox


def notify_checkers(delegation_id: str, *, status: str) -> int:
    """Queue a mail to each organisation that kept a check of ``delegation_id``, within its limit;
    the number queued. Call it inside the transaction that ended the delegation."""
    with transaction.atomic():
        return sum(
            _notify(organisation, latest, sorted(addresses), delegation_id, status)
            for organisation, latest, addresses in _checkers(delegation_id)
        )


def _checkers(delegation_id: str) -> list[tuple[RecipientOrganisation, CheckResult, set[str]]]:
    """Each approved organisation that kept a check of ``delegation_id`` (in the order of their ids,
    the order their rows are locked in), its latest kept check and the addresses of its checkers."""
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
        by_organisation.setdefault(row.organisation_id, (row.organisation, row, set()))[2].add(user.email)
    return list(by_organisation.values())


def _notify(
    organisation: RecipientOrganisation, latest: CheckResult, to: list[str], delegation_id: str, status: str
) -> int:
    details = {"delegation_id": delegation_id, "status": status}
    if not _within_limit(organisation):
        audit.record("validity.end_notice.throttled", actor=audit.SYSTEM, subject=organisation, **details)
        return 0
    announcement = _queue(organisation, latest, status, to, details)
    audit.record(
        "validity.end_notice.queued",
        actor=audit.SYSTEM,
        subject=organisation,
        recipients=len(to),
        announcement=announcement.pk,
        **details,
    )
    return 1


def _within_limit(organisation: RecipientOrganisation) -> bool:
    """Whether one more end notice to ``organisation`` stays within VALIDITY_END_NOTICE_RATE, counted
    from the end notices queued to it in the outbox over the last window. Its row stays locked until
    this transaction ends, so a second decision counts only once the first has committed (or rolled
    back) and sees its notice (or not). The lock is FOR NO KEY UPDATE: it does not wait for, nor make
    wait, the key-share lock a new row referring to the organisation takes (a kept check, a key)."""
    rate = ratelimit.Rate.parse(settings.VALIDITY_END_NOTICE_RATE)
    locked = RecipientOrganisation.objects.select_for_update(no_key=True).filter(pk=organisation.pk)
    list(locked.values_list("pk"))
    about_type, about_id = audit.subject_of(organisation)
    since = timezone.now() - timedelta(seconds=rate.seconds)
    queued = MailAnnouncement.objects.filter(
        event_type=END_NOTICE, about_type=about_type, about_id=about_id, queued_at__gt=since
    )
    return queued.count() < rate.count


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
        subject, body, to=to, event_type=END_NOTICE, about=organisation, details=details, at_once=True
    )
