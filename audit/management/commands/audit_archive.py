from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from audit.services import AuditError, archive_log, command_actor, prune_archived


class Command(BaseCommand):
    help = (
        "Archive the audit entries older than --before into a verified segment file (manifest and signed "
        "checkpoint inside) for the 10-year media. --prune then removes from the database the archived rows "
        "older than AUDIT_RETENTION_DAYS: the only way rows ever leave it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--before",
            type=date.fromisoformat,
            required=True,
            help="archive entries before this date (YYYY-MM-DD, local)",
        )
        parser.add_argument(
            "--out", type=Path, default=None, help="directory for segment files (default AUDIT_ARCHIVE_DIR)"
        )
        parser.add_argument("--prune", action="store_true", help="then delete archived rows past the retention period")
        parser.add_argument(
            "--dry-run", action="store_true", help="say what would be archived and pruned; write nothing"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        before = timezone.make_aware(datetime.combine(options["before"], time.min))
        out = options["out"] or Path(settings.AUDIT_ARCHIVE_DIR)
        actor = command_actor("audit_archive")
        dry = options["dry_run"]
        try:
            result = archive_log(before, out, actor=actor, dry_run=dry)
        except AuditError as err:
            raise CommandError(err.message) from err
        if result.last_seq < result.first_seq:
            self.stdout.write("Nothing new to archive before that date.")
        elif dry:
            self.stdout.write(f"Would archive #{result.first_seq}–#{result.last_seq} to {out} (dry run).")
        else:
            self.stdout.write(self.style.SUCCESS(f"Archived #{result.first_seq}–#{result.last_seq} to {result.path}."))
        if options["prune"]:
            pruned = prune_archived(actor=actor, dry_run=dry)
            verb = "Would prune" if dry else "Pruned"
            segments = ", ".join(pruned.pruned_segments) or "none"
            self.stdout.write(f"{verb} {pruned.pruned_events} event(s) of archived segment(s): {segments}.")
