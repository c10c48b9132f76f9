"""manage.py audit_witness (audit/management/commands/audit_witness.py), plus ``--rebase EVENT_ID
--as EMAIL``: after a restore older than the heads the witness cosigned, acknowledged by the service
manager and the auditor (``audit_restore``), the auditor who acknowledged it moves the witness on to
the service's new checkpoint (mynatrust.operations.restores.rebase_witness, docs/runbook.md §9).
This command takes the audit app's place (``mynatrust`` comes first in INSTALLED_APPS): acting for a
staff member is the project's, which the audit app may not import."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser

from audit.management.commands.audit_witness import Command as WitnessCommand
from mynatrust import cli
from mynatrust.operations import restores


class Command(WitnessCommand):
    help = WitnessCommand.help + (
        " With --rebase EVENT_ID --as EMAIL (the auditor who acknowledged a restore older than the heads "
        "this witness cosigned): check that acknowledgement against the signed chain and cosign the new "
        "checkpoint; the re-base is kept in the witness's head file and journal and recorded."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--rebase",
            type=int,
            metavar="EVENT_ID",
            help="the audit.restore_loss_acknowledged event that allows cosigning past the lost heads",
        )
        parser.add_argument(
            "--as",
            dest="actor",
            help=f"with --rebase: your staff e-mail address (asks your authenticator code, or reads ${cli.CODE_VARIABLE})",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["rebase"] is None:
            if options["actor"]:
                raise CommandError("--as goes with --rebase only")
            super().handle(*args, **options)
            return
        if options["print_key"]:
            raise CommandError("--print-key does not go with --rebase")
        if not options["actor"]:
            raise CommandError("--rebase needs --as EMAIL: the auditor who acknowledged the loss")
        self._require_source(options)
        witness_key, state = self._witness()
        with cli.entry_point("audit_witness --rebase"):
            actor = cli.verified_staff(options["actor"], command="audit_witness --rebase")
            try:
                cosignature, facts = restores.rebase_witness(
                    options["rebase"],
                    actor=actor,
                    state=state,
                    witness_key=witness_key,
                    document_since=lambda since: self._document(options, since),
                )
            except restores.RestoreError as exc:
                raise CommandError(f"refused ({exc.code}): {exc.message}") from exc
            self._finish(
                options,
                cosignature,
                f"Re-based: the witness's head #{facts['from_seq']} was lost (#{facts['lost_from']}–"
                f"#{facts['lost_to']}, acknowledged in event {facts['event_id']}); cosigned checkpoint "
                f"#{facts['to_seq']}, which extends #{facts['onto_seq']}, cosigned before. Kept in {state} and its journal.",
            )
