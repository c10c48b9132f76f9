from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import DatabaseError, close_old_connections, connections

from audit import tally
from audit.models import AuditEvent
from audit.sealing import seal_pending


class Command(BaseCommand):
    help = "Seal committed audit events into the hash chain and sign checkpoints when due. --loop keeps running (a worker)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", action="store_true", help="keep sealing until stopped")
        parser.add_argument(
            "--interval", type=float, default=1.0, help="seconds between rounds with --loop (default 1)"
        )
        parser.add_argument("--dry-run", action="store_true", help="only count the events waiting to be sealed")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["dry_run"]:
            pending = AuditEvent.objects.unsealed().count()
            self.stdout.write(f"{pending} event(s) waiting to be sealed; nothing written (dry run).")
            return
        if not options["loop"]:
            self._round(verbose=True)
            return
        self.stdout.write(f"Sealing every {options['interval']} s; stop with Ctrl-C.")
        self.stdout.flush()
        # SIGINT and SIGTERM stop the loop between rounds: a signal arriving in the middle of a
        # database call would otherwise surface as a database error and be retried.
        stop = threading.Event()
        previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
        failing = False
        try:
            while not stop.is_set():
                try:
                    self._round(verbose=False)
                except DatabaseError as err:
                    # A database restart or fail-over: the sequencer outlives it and resumes where
                    # the chain stands (nothing is sealed twice: see audit.sealing).
                    if not failing:
                        self.stderr.write(f"Sealing failed, retrying until the database answers: {err}")
                    failing = True
                    connections.close_all()
                    stop.wait(max(options["interval"], 1.0))
                    continue
                if failing:
                    self.stdout.write("The database answers again; sealing resumed.")
                    failing = False
                close_old_connections()
                stop.wait(options["interval"])
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        self.stdout.write("Stopped.")

    def _round(self, *, verbose: bool) -> None:
        tally.flush()  # refusals counted in windows that have closed become events first
        result = seal_pending()
        if result.sealed or verbose:
            note = f", checkpoint at #{result.checkpoint.seq}" if result.checkpoint else ""
            self.stdout.write(self.style.SUCCESS(f"Sealed {result.sealed} event(s); head is #{result.head_seq}{note}."))
