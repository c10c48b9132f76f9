from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db.models import F
from django.utils import timezone

import audit
from registry import services
from registry.models import Subscriber


class Command(BaseCommand):
    help = (
        "E-mail the members of every subscriber whose contract ends within REGISTRY_RENEWAL_REMINDER_DAYS, "
        "once per contract end date. Run daily (cron/systemd timer)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="list who would be reminded; send nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        today = timezone.localdate()
        if options["dry_run"]:
            due = Subscriber.objects.nearing_end(today).exclude(reminded_for_end=F("contract_end"))
            for subscriber in due:
                self.stdout.write(f"  {subscriber} (ends {subscriber.contract_end})")
            self.stdout.write(f"Dry run: {len(due)} reminders would be sent.")
            return
        sent = services.send_renewal_reminders(actor=audit.SYSTEM, today=today)
        self.stdout.write(self.style.SUCCESS(f"{sent} renewal reminders sent."))
