"""manage.py delegation_end_reminders: remind subscribers before a delegation's period ends
(DELEGATION_END_REMINDER_DAYS). Run daily; each end date is reminded once."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from delegations import services


class Command(BaseCommand):
    help = (
        "Mail the members of subscribers whose active delegations end within DELEGATION_END_REMINDER_DAYS. Run daily."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        sent = services.send_end_reminders()
        self.stdout.write(f"{sent} reminders sent.")
