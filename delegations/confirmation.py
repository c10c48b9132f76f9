"""Periodic confirmation of registered delegations (§4.3): 「利用者は、登録済の電子委任状について定期的に
真正かつ正確な情報であることを確認するものとする」.

Who: the subscriber (any member of it) confirms. What: each registered delegation — active, its
period not ended — is still true and accurate. A delegation that is not is updated (§4.2) or
revoked, which ends it; there is nothing to confirm about it then. How often: the rules say
「定期的に」; the interval is ``DELEGATION_CONFIRMATION_INTERVAL_DAYS`` (a year), counted from the
activation and then from each confirmation.

When it is not done: the rules attach no consequence to the delegation itself — they put the duty
on the subscriber (§2.1.2, §4.3) and leave the damage of a neglected duty to them (§2.2.3) — so the
delegation stays in force and its validity answer does not change. The service reminds instead: a
mail ``DELEGATION_CONFIRMATION_NOTICE_DAYS`` before the due date, a second once it has passed, the
subscriber's pages show it as overdue, and ``DELEGATION_CONFIRMATION_FOLLOW_UP_DAYS`` after the due
date it joins reception's queue, where reception records each contact made by one of the means of
§6.1. Every confirmation, mail and contact is a business record here and an audit event.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import Exists, OuterRef, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

import audit
from delegations.models import ConfirmationFollowUp, ConfirmationNotice, Delegation, PeriodicConfirmation
from delegations.services import DelegationError, _lock
from delegations.standing import today_in_japan
from kernel import service
from mynatrust.mail import Mail, Tally, mark_once_sent
from mynatrust.roles import holds

if TYPE_CHECKING:
    from mynatrust.models import User

STATEMENT = _("登録済の電子委任状の内容が真正かつ正確であることを確認しました（運用規程 4.3）。")


def today() -> date:
    return today_in_japan(timezone.now())


def next_due(day: date) -> date:
    return day + timedelta(days=settings.DELEGATION_CONFIRMATION_INTERVAL_DAYS)


def registered(day: date | None = None) -> QuerySet[Delegation]:
    """The delegations the duty covers on ``day``: active, their period not ended."""
    return Delegation.objects.active().filter(valid_until__gte=day or today())


def to_confirm(day: date | None = None) -> QuerySet[Delegation]:
    """Due within the notice period, or overdue."""
    day = day or today()
    return registered(day).filter(
        confirmation_due_on__lte=day + timedelta(days=settings.DELEGATION_CONFIRMATION_NOTICE_DAYS)
    )


def overdue(day: date | None = None) -> QuerySet[Delegation]:
    day = day or today()
    return registered(day).filter(confirmation_due_on__lt=day)


def for_follow_up(day: date | None = None) -> QuerySet[Delegation]:
    """Overdue for longer than the reminders allow: reception's queue."""
    day = day or today()
    return registered(day).filter(
        confirmation_due_on__lt=day - timedelta(days=settings.DELEGATION_CONFIRMATION_FOLLOW_UP_DAYS)
    )


def is_due(delegation: Delegation, day: date | None = None) -> bool:
    return to_confirm(day).filter(pk=delegation.pk).exists()


@service("delegations.confirmation.confirm")
def confirm_delegation(delegation: Delegation, *, actor: User, confirmed: bool) -> PeriodicConfirmation:
    """A member of the subscriber confirms that ``delegation`` is true and accurate; the next due
    date is a full interval from today."""
    if not delegation.subscriber.memberships.filter(user=actor).exists():
        raise DelegationError(_("この利用者の担当者だけが確認できます。"), code="not_permitted")
    if not confirmed:
        raise DelegationError(
            _(
                "内容が真正かつ正確であることを確かめ、チェックを入れてください。変更がある場合は、変更（4.2）または取消の手続をしてください。"
            ),
            code="not_confirmed",
            field="confirmed",
        )
    delegation = _lock(delegation)
    day = today()
    if delegation.status != Delegation.Status.ACTIVE or delegation.valid_until < day:
        raise DelegationError(
            _("定期確認の対象は、登録済で委任期間が終わっていない電子委任状です（現在は「%(status)s」）。")
            % {"status": delegation.status_for(timezone.now()).label},
            code="wrong_state",
        )
    due = delegation.confirmation_due_on or day
    record = PeriodicConfirmation.objects.create(
        delegation=delegation, due_on=due, next_due_on=next_due(day), statement=str(STATEMENT), confirmed_by=actor
    )
    delegation.confirmation_due_on = record.next_due_on
    delegation.save(update_fields=["confirmation_due_on", "updated_at"])
    audit.record(
        "delegations.confirmation.confirmed",
        actor=actor,
        subject=delegation,
        due_on=due,
        next_due_on=record.next_due_on,
        overdue=due < day,
    )
    return record


@service("delegations.confirmation.follow_up")
def record_follow_up(delegation: Delegation, *, actor: User, channel: str, note: str) -> ConfirmationFollowUp:
    """Reception records a contact with a subscriber whose confirmation is overdue (§6.1 means)."""
    if not holds(actor, "delegations.follow_up_confirmation"):
        raise DelegationError(_("定期確認の督促は受付担当者が記録します。"), code="not_permitted")
    if channel not in ConfirmationFollowUp.Channel.values:
        raise DelegationError(_("連絡の方法を選んでください。"), code="channel_missing", field="channel")
    if not note.strip():
        raise DelegationError(_("連絡の内容と結果を入力してください。"), code="note_missing", field="note")
    delegation = _lock(delegation)
    if not overdue().filter(pk=delegation.pk).exists():
        raise DelegationError(_("この電子委任状は定期確認の期限を過ぎていません。"), code="not_overdue")
    assert delegation.confirmation_due_on is not None  # noqa: S101  (overdue() implies it)
    follow_up = ConfirmationFollowUp.objects.create(
        delegation=delegation,
        due_on=delegation.confirmation_due_on,
        channel=channel,
        note=note.strip(),
        recorded_by=actor,
    )
    audit.record(
        "delegations.confirmation.followed_up",
        actor=actor,
        subject=delegation,
        due_on=delegation.confirmation_due_on,
        channel=channel,
    )
    return follow_up


SUBJECTS: dict[str, Any] = {
    ConfirmationNotice.Stage.PROMPT: _("電子委任状の定期確認のお願い"),
    ConfirmationNotice.Stage.REMINDER: _("電子委任状の定期確認の期限を過ぎています"),
}


def _pending(stage: str, day: date) -> QuerySet[Delegation]:
    """The delegations this stage's mail has not yet been sent for, at their current due date."""
    if stage == ConfirmationNotice.Stage.PROMPT:
        candidates = to_confirm(day).filter(confirmation_due_on__gte=day)
    else:
        candidates = overdue(day)
    sent = ConfirmationNotice.objects.filter(
        delegation=OuterRef("pk"), due_on=OuterRef("confirmation_due_on"), stage=stage
    )
    return candidates.exclude(Exists(sent)).select_related("subscriber").order_by("confirmation_due_on", "pk")


# The key of send_reminders' answer that counts the mails the mail server refused.
NOT_SENT = "not_sent"


def send_reminders(day: date | None = None, *, dry_run: bool = False) -> dict[str, int]:
    """Mail each subscriber once per stage with the delegations that stage concerns (never twice for
    the same due date); returns the number of delegations mailed per stage (due, in a dry run) and,
    under NOT_SENT, the number of mails the server refused: those are not recorded as sent (the
    ConfirmationNotice rows roll back with the mail) and go on the next run."""
    day = day or today()
    counts: dict[str, int] = {}
    tally = Tally()
    for stage in (ConfirmationNotice.Stage.PROMPT, ConfirmationNotice.Stage.REMINDER):
        by_subscriber: dict[Any, list[Delegation]] = defaultdict(list)
        for delegation in _pending(stage, day):
            by_subscriber[delegation.subscriber].append(delegation)
        if dry_run:
            counts[stage] = sum(len(items) for items in by_subscriber.values())
            continue
        counts[stage] = 0
        for subscriber, items in by_subscriber.items():
            if mark_once_sent(partial(_mark, subscriber, stage, items), tally):
                counts[stage] += len(items)
    counts[NOT_SENT] = tally.not_sent
    return counts


def _mark(subscriber: Any, stage: str, items: list[Delegation]) -> Mail:
    """Record that ``stage``'s mail about ``items`` went to the subscriber's members, and return it
    (mark_once_sent sends it in the same transaction)."""
    recipients = list(subscriber.memberships.values_list("user__email", flat=True))
    for delegation in items:
        assert delegation.confirmation_due_on is not None  # noqa: S101  (selected by due date)
        ConfirmationNotice.objects.create(
            delegation=delegation, due_on=delegation.confirmation_due_on, stage=stage, recipients=len(recipients)
        )
    audit.record(
        "delegations.confirmation.reminded",
        actor=audit.SYSTEM,
        subject=("registry.subscriber", subscriber.public_id),
        stage=stage,
        delegations=[d.delegation_id for d in items],
        recipients=len(recipients),
    )
    base = settings.SERVICE_BASE_URL.rstrip("/")
    context = {
        "stage": stage,
        "organisation": str(subscriber),
        "items": [(d, base + reverse("delegations:detail", kwargs={"public_id": d.public_id})) for d in items],
        "overdue": stage == ConfirmationNotice.Stage.REMINDER,
        "SERVICE_NAME": settings.SERVICE_NAME,
    }
    subject = f"【{settings.SERVICE_NAME}】{SUBJECTS[stage]}"
    body = render_to_string("delegations/email/confirmation.txt", context) if recipients else ""
    return Mail(subject, body, recipients, about=subscriber)
