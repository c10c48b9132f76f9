"""Reminders before a delegation's period ends (`manage.py delegation_end_reminders`, daily)."""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

import audit
from delegations.models import Delegation
from delegations.services.common import _lock
from delegations.services.notices import _notify
from delegations.standing import today_in_japan
from kernel import Actor


def send_end_reminders(*, actor: Actor = audit.SYSTEM, today: date | None = None) -> int:
    """Remind the members of each subscriber whose active delegation ends within
    DELEGATION_END_REMINDER_DAYS, once per end date (a changed period is reminded again)."""
    today = today or today_in_japan(timezone.now())
    last = today + timedelta(days=settings.DELEGATION_END_REMINDER_DAYS)
    due = Delegation.objects.filter(
        status=Delegation.Status.ACTIVE, valid_until__gte=today, valid_until__lte=last
    ).exclude(reminded_for_end=F("valid_until"))
    sent = 0
    for pk in due.values_list("pk", flat=True):
        with transaction.atomic():
            delegation = _lock(Delegation.objects.get(pk=pk))
            if delegation.status != Delegation.Status.ACTIVE or delegation.reminded_for_end == delegation.valid_until:
                continue
            delegation.reminded_for_end = delegation.valid_until
            delegation.save(update_fields=["reminded_for_end", "updated_at"])
            audit.record(
                "delegations.delegation.end_reminder_sent",
                actor=actor,
                subject=delegation,
                valid_until=delegation.valid_until.isoformat(),
            )
            _notify(delegation, "ending", days=(delegation.valid_until - today).days)
            sent += 1
    return sent
