from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand
from django.db import DatabaseError, close_old_connections, connections

from mynatrust.outbox.models import MailAnnouncement, OutboxMessage
from mynatrust.outbox.services import run_once


class Command(BaseCommand):
    help = (
        "Send the mail outbox (announcements of public documents, notices): one pass, or --loop as a "
        "long-running worker. Several workers (one per host) share the work safely."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--loop", action="store_true", help="keep sending until stopped")
        parser.add_argument("--interval", type=float, default=5.0, help="seconds between passes with --loop")
        parser.add_argument("--batch", type=int, default=None, help="messages per SMTP connection")
        parser.add_argument("--status", action="store_true", help="print what waits and change nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["status"]:
            for state, count in MailAnnouncement.objects.values_list("state").annotate(n=_count()).order_by("state"):
                self.stdout.write(f"announcements {state}: {count}")
            for status, count in OutboxMessage.objects.values_list("status").annotate(n=_count()).order_by("status"):
                self.stdout.write(f"messages {status}: {count}")
            return
        if not options["loop"]:
            self._report(run_once(batch_size=options["batch"]), always=True)
            return
        self.stdout.write(f"Sending the mail outbox every {options['interval']} s; stop with Ctrl-C.")
        self.stdout.flush()
        stop = threading.Event()
        previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
        failing = False
        try:
            while not stop.is_set():
                try:
                    self._report(run_once(batch_size=options["batch"]), always=False)
                except DatabaseError as err:
                    # A database restart: nothing claimed was committed, so it is claimed again later.
                    if not failing:
                        self.stderr.write(f"Outbox pass failed, retrying until the database answers: {err}")
                    failing = True
                    connections.close_all()
                    stop.wait(max(options["interval"], 1.0))
                    continue
                failing = False
                close_old_connections()
                stop.wait(options["interval"])
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        self.stdout.write("Stopped.")

    def _report(self, done: Any, *, always: bool) -> None:
        if always or done.worked:
            self.stdout.write(
                f"expanded {done.expanded}, sent {done.sent}, to retry {done.retrying}, "
                f"given up {done.given_up}, finished {done.finished}"
            )
            self.stdout.flush()


def _count() -> Any:
    from django.db.models import Count

    return Count("pk")
