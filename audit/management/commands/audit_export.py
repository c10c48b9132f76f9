from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from audit.export import Filters
from audit.services import AuditError, command_actor, stream_export


def _when(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


class Command(BaseCommand):
    help = (
        "Export audit events as a ZIP (events.csv for Excel or events.jsonl, chain.jsonl, manifest.json) "
        "that `python -m audit.offline_verify` checks without the database. The export is an audit event."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", choices=["csv", "jsonl"], default="csv")
        parser.add_argument("--since", type=_when, help="from this time (ISO 8601; local time when no offset)")
        parser.add_argument("--until", type=_when, help="before this time")
        parser.add_argument(
            "--event-type", default="", help="a type (auth.login) or a namespace ending in a dot (auth.)"
        )
        parser.add_argument("--actor", default="", help="actor ID or label (e-mail)")
        parser.add_argument("--subject-type", default="")
        parser.add_argument("--subject-id", default="")
        parser.add_argument(
            "--evidence",
            action="store_true",
            help="export even a log that fails verification (nothing is signed; the manifest says verified: false)",
        )
        parser.add_argument(
            "--out", type=Path, help="file to write (default: a name in the current directory; - for stdout)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        filters = Filters(
            since=options["since"],
            until=options["until"],
            event_type=options["event_type"],
            actor=options["actor"],
            subject_type=options["subject_type"],
            subject_id=options["subject_id"],
        )
        try:
            plan, chunks = stream_export(
                filters, options["format"], actor=command_actor("audit_export"), evidence=options["evidence"]
            )
        except AuditError as err:
            raise CommandError(err.message) from err
        out = options["out"] or Path(plan.file_name())
        if str(out) == "-":
            for chunk in chunks:
                sys.stdout.buffer.write(chunk)
            return
        with out.open("wb") as fh:
            for chunk in chunks:
                fh.write(chunk)
        self.stdout.write(
            self.style.SUCCESS(f"Exported {plan.count} event(s), chain #{plan.from_seq}–#{plan.to_seq}, to {out}.")
        )
