"""manage.py backup --out DIR | --verify BACKUP_DIR (mynatrust/operations/backup.py, docs/runbook.md §9)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from mynatrust.operations import backup


class Command(BaseCommand):
    help = (
        "Back up the database (pg_dump custom format, one consistent snapshot) and the audit archive "
        "segments into a new directory under --out, with manifest.json and SHA256SUMS; or, with --verify, "
        "check an existing backup against its manifest. Key files are not included (secret store)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument("--out", help="directory under which the backup directory is created")
        group.add_argument("--verify", metavar="BACKUP_DIR", help="check a backup directory against its manifest")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["verify"]:
            problems = backup.verify_backup(Path(options["verify"]))
            for problem in problems:
                self.stderr.write(self.style.ERROR(problem))
            if problems:
                raise CommandError(f"Backup {options['verify']} is NOT intact ({len(problems)} problem(s)).")
            self.stdout.write(self.style.SUCCESS(f"Backup {options['verify']} matches its manifest."))
            return
        self.stdout.write("Dumping the database…")
        try:
            directory = backup.create_backup(Path(options["out"]))
        except backup.BackupError as err:
            raise CommandError(err.message) from err
        self.stdout.write(self.style.SUCCESS(f"Backup written to {directory}"))
