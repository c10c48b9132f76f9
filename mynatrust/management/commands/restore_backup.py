"""manage.py restore_backup BACKUP_DIR --into DATABASE_URL (docs/runbook.md §9)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from mynatrust.operations import backup


class Command(BaseCommand):
    help = (
        "Check a backup against its manifest and restore its database dump into another, empty "
        "PostgreSQL database (never the one in use). Then point DATABASE_URL at it and run "
        "`manage.py audit_verify`."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("backup_dir")
        parser.add_argument("--into", required=True, metavar="DATABASE_URL", help="postgres://… of an empty database")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            backup.restore_backup(Path(options["backup_dir"]), options["into"])
        except backup.BackupError as err:
            raise CommandError(err.message) from err
        self.stdout.write(self.style.SUCCESS(f"Restored {options['backup_dir']}."))
        self.stdout.write("Next: DATABASE_URL=<that database> manage.py audit_verify, then compare validity answers.")
