"""manage.py audit_restore status | request --as EMAIL --reason TEXT | acknowledge REQUEST_ID --as EMAIL
(mynatrust/operations/restores.py, docs/runbook.md §9)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit import heads, restores
from mynatrust import cli
from mynatrust.operations import restores as acknowledgements


class Command(BaseCommand):
    help = (
        "After a restore from a backup older than the last signed audit head the sequencer signs nothing "
        "until the loss is acknowledged by two people. `audit_restore status` shows the loss and pending "
        "requests; `audit_restore request --as EMAIL --reason TEXT` (the service manager) asks; "
        "`audit_restore acknowledge REQUEST_ID --as EMAIL` (the auditor, another person) records the lost "
        "positions for good and re-bases the head file. Acting --as a staff member asks for that member's "
        f"current authenticator code (without echo, or from ${cli.CODE_VARIABLE})."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("status", help="the loss found now, and the pending requests")
        request = sub.add_parser("request", help="ask that the loss be acknowledged (service manager)")
        request.add_argument("--reason", required=True, help="what was restored, why, and where it is recorded")
        request.add_argument("--dry-run", action="store_true", help="show the loss without requesting")
        acknowledge = sub.add_parser("acknowledge", help="confirm a request by someone else (auditor)")
        acknowledge.add_argument("request_id", type=int)
        acknowledge.add_argument("--dry-run", action="store_true", help="show the request without confirming")
        for p in (request, acknowledge):
            cli.add_actor_argument(p)

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "status":
            self._status()
            return
        if options["dry_run"]:
            self._status()
            self.stdout.write("dry run: nothing requested or acknowledged")
            return
        with cli.entry_point(f"audit_restore {action}"):
            actor = cli.verified_staff(options["actor"], command=f"audit_restore {action}")
            try:
                if action == "request":
                    event = acknowledgements.request_acknowledgement(actor=actor, reason=options["reason"])
                    self.stdout.write(
                        self.style.SUCCESS(
                            f"Request {event.pk} recorded: positions #{event.data['lost_from']}–#{event.data['lost_to']} "
                            "lost. The auditor confirms it with `audit_restore acknowledge "
                            f"{event.pk} --as EMAIL` within {acknowledgements.REQUEST_HOURS} hours."
                        )
                    )
                else:
                    event = acknowledgements.acknowledge(options["request_id"], actor=actor)
                    self.stdout.write(
                        self.style.SUCCESS(
                            f"Loss of #{event.data['lost_from']}–#{event.data['lost_to']} acknowledged (event {event.pk}); "
                            f"the head file now names checkpoint #{event.data['anchor_seq']}, signing resumes."
                        )
                    )
            except acknowledgements.RestoreError as exc:
                raise CommandError(f"refused ({exc.code}): {exc.message}") from exc

    def _status(self) -> None:
        try:
            loss = restores.find_loss()
        except (restores.Unprovable, heads.Unreadable) as err:
            raise CommandError(f"The audit log does not verify on its own: {err}") from err
        if loss is None:
            self.stdout.write("The audit log extends the last signed head: nothing to acknowledge.")
        else:
            self.stdout.write(
                f"Signed head #{loss.signed.seq} ({loss.signed.head[:16]}…, {loss.signed.time}) is not in this log: "
                f"{loss.problem}.\nThe newest checkpoint this log holds is #{loss.anchor.seq}; the log's head is "
                f"#{loss.database_seq}. Lost as signed: #{loss.lost_from}–#{loss.lost_to}."
            )
        for request in acknowledgements.pending_requests():
            self.stdout.write(
                f"pending request {request.pk} by {request.actor_label} at {request.created_at:%Y-%m-%d %H:%M}Z: "
                f"#{request.data.get('lost_from')}–#{request.data.get('lost_to')}, {request.data.get('reason', '')}"
            )
