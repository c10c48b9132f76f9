"""manage.py apply_retention [--dry-run] [--kind NAME …]: remove or anonymise records past their
retention period (settings.RETENTION_PERIODS; mynatrust/operations/retention.py; docs/retention.md)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

import audit
from mynatrust.operations import retention


class Command(BaseCommand):
    help = (
        "List the records past their retention period (§6.2.9) per kind, then delete or anonymise them. "
        "Nothing inside its period is touched; every deletion is an audit event. Run daily."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="only list what is due; change nothing")
        parser.add_argument("--kind", action="append", default=[], help="only this kind (repeatable)")

    def handle(self, *args: Any, **options: Any) -> None:
        dry_run: bool = options["dry_run"]
        only = set(options["kind"]) or None
        now = timezone.now()
        rows = retention.plan(now, only=only)
        unknown = sorted((only or set()) - {outcome.kind for _kind, outcome in rows})
        if unknown:
            raise CommandError(f"unknown kind(s): {', '.join(unknown)} (see settings.RETENTION_PERIODS)")
        self.stdout.write(self.style.MIGRATE_HEADING(f"{'kind':<34} {'period':>7}  {'cutoff':<22} {'due':>7}"))
        total_due = total_done = 0
        for kind, outcome in rows:
            if kind is None:
                self.stdout.write(f"{outcome.kind:<34} {outcome.period:>7}  {'—':<22} {'—':>7}  ({outcome.note})")
                continue
            # The cutoff with its zone (+09:00 in Japan): never a bare local or UTC time.
            cutoff = timezone.localtime(outcome.cutoff).strftime("%Y-%m-%d %H:%M %z") if outcome.cutoff else "—"
            self.stdout.write(f"{outcome.kind:<34} {outcome.period:>7}  {cutoff:<22} {outcome.due:>7}")
            total_due += outcome.due
            if not dry_run and outcome.due and outcome.cutoff is not None:
                done = retention.apply(kind, outcome.cutoff, actor=audit.SYSTEM)
                total_done += done
                verb = "anonymised" if kind.action == retention.ANONYMISE else "deleted"
                self.stdout.write(self.style.SUCCESS(f"  {verb} {done}"))
        if dry_run:
            self.stdout.write(self.style.WARNING(f"Dry run: {total_due} record(s) due, nothing changed."))
        else:
            if total_done:
                audit.record("retention.run", actor=audit.SYSTEM, due=total_due, applied=total_done)
            self.stdout.write(
                self.style.SUCCESS(f"Done: {total_done} of {total_due} due record(s) removed or anonymised.")
            )
