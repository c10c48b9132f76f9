"""Reminders before a delegation's period ends (`manage.py delegation_end_reminders`, daily): each is
marked in the transaction that sends it, so a mail the server refuses is tried again the next day."""

from __future__ import annotations

from datetime import date, timedelta
from functools import partial

from django.conf import settings
from django.db.models import F
from django.utils import timezone

import audit
from delegations.models import Delegation
from delegations.services.common import _lock
from delegations.services.notices import _message
from delegations.standing import today_in_japan
from kernel import Actor
from mynatrust.mail import Mail, Tally, mark_once_sent


def send_end_reminders(*, actor: Actor = audit.SYSTEM, today: date | None = None) -> Tally:
    """Remind the members of each subscriber whose active delegation ends within
    DELEGATION_END_REMINDER_DAYS, once per end date (a changed period is reminded again). A reminder
    is marked only once its mail has left (one delegation per transaction): a refused mail leaves the
    delegation unreminded, is recorded as ``mail.not_sent`` and counted, and goes on the next run."""
    today = today or today_in_japan(timezone.now())
    last = today + timedelta(days=settings.DELEGATION_END_REMINDER_DAYS)
    due = Delegation.objects.filter(
        status=Delegation.Status.ACTIVE, valid_until__gte=today, valid_until__lte=last
    ).exclude(reminded_for_end=F("valid_until"))
    tally = Tally()
    for pk in due.values_list("pk", flat=True):
        mark_once_sent(partial(_mark_reminded, pk, actor, today), tally)
    return tally


def _mark_reminded(pk: int, actor: Actor, today: date) -> Mail | None:
    """Mark the delegation ``pk`` as reminded for its end date and return the reminder; None when it
    is no longer active or already was."""
    delegation = _lock(Delegation.objects.get(pk=pk))
    if delegation.status != Delegation.Status.ACTIVE or delegation.reminded_for_end == delegation.valid_until:
        return None
    delegation.reminded_for_end = delegation.valid_until
    delegation.save(update_fields=["reminded_for_end", "updated_at"])
    audit.record(
        "delegations.delegation.end_reminder_sent",
        actor=actor,
        subject=delegation,
        valid_until=delegation.valid_until.isoformat(),
    )
    subject, body, recipients = _message(delegation, "ending", days=(delegation.valid_until - today).days)
    return Mail(subject, body, recipients, about=delegation)
