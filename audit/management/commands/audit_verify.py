from __future__ import annotations

import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.services import command_actor, verify_log


class Command(BaseCommand):
    help = (
        "Verify the audit log: recompute every hash, check sequence continuity and every checkpoint "
        "signature. Reports the first bad entry. The verification is itself an audit event."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--from", dest="from_seq", type=int, help="first sequence number (default: the first online)"
        )
        parser.add_argument("--to", dest="to_seq", type=int, help="last sequence number (default: the head)")
        parser.add_argument(
            "--workers",
            type=int,
            default=os.cpu_count() or 1,
            help="processes for long ranges (PostgreSQL; default: cores)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        report = verify_log(
            actor=command_actor("audit_verify"),
            from_seq=options["from_seq"],
            to_seq=options["to_seq"],
            workers=options["workers"],
        )
        for problem in report.problems:
            self.stderr.write(self.style.ERROR(str(problem)))
        for loss in report.losses:  # acknowledged, and reported by every verification
            self.stdout.write(self.style.WARNING(loss))
        line = (
            f"#{report.from_seq}–#{report.to_seq}: {report.entries} entries and {report.checkpoints} checkpoint(s) checked; "
            f"head {report.head_hash[:16]}…"
        )
        if not report.ok:
            raise CommandError(f"Audit log verification FAILED. {line}")
        self.stdout.write(self.style.SUCCESS(f"Audit log verified. {line}"))
