"""manage.py delegation_confirmations [--dry-run]: mail the periodic-confirmation notices of §4.3
(delegations/confirmation.py). Run daily; a notice is never sent twice for the same due date."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from delegations import confirmation
from delegations.models import ConfirmationNotice


class Command(BaseCommand):
    help = (
        "Mail subscribers whose registered delegations fall due for periodic confirmation (§4.3), and those "
        "whose due date has passed; list how many wait for reception's follow-up. Run daily."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="only count; send and record nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        counts = confirmation.send_reminders(dry_run=options["dry_run"])
        verb = "due" if options["dry_run"] else "mailed"
        self.stdout.write(f"prompt (due within the notice period): {counts[ConfirmationNotice.Stage.PROMPT]} {verb}")
        self.stdout.write(f"reminder (due date passed): {counts[ConfirmationNotice.Stage.REMINDER]} {verb}")
        self.stdout.write(f"waiting for reception's follow-up: {confirmation.for_follow_up().count()}")
