from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import CommandParser
from django.db import DatabaseError, close_old_connections, connections
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from audit import tally
from audit.models import AuditEvent
from audit.sealing import seal_pending
from kernel import commands


class Command(commands.Command):
    help = _(
        "確定した監査イベントをハッシュチェーンに封印し、時期が来たらチェックポイントに署名します。"
        "--loop で動き続けます（ワーカー）。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", action="store_true", help=gettext("止めるまで封印を続ける"))
        parser.add_argument("--interval", type=float, default=1.0, help=gettext("--loop での間隔（秒、既定 1）"))
        parser.add_argument("--dry-run", action="store_true", help=gettext("封印待ちのイベントを数えるだけにする"))

    def handle(self, *args: Any, **options: Any) -> None:
        if options["dry_run"]:
            pending = AuditEvent.objects.unsealed().count()
            self.stdout.write(
                gettext("封印待ちのイベントは %(count)s 件です。何も書き込んでいません（試行のみ）。")
                % {"count": pending}
            )
            return
        if not options["loop"]:
            self._round(verbose=True)
            return
        self.stdout.write(
            gettext("%(seconds)s 秒ごとに封印します。Ctrl-C で止まります。") % {"seconds": options["interval"]}
        )
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
                        self.stderr.write(
                            gettext("封印に失敗しました。データベースが応答するまで再試行します：%(error)s")
                            % {"error": err}
                        )
                    failing = True
                    connections.close_all()
                    stop.wait(max(options["interval"], 1.0))
                    continue
                if failing:
                    self.stdout.write(gettext("データベースが再び応答しました。封印を再開しました。"))
                    failing = False
                close_old_connections()
                stop.wait(options["interval"])
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        self.stdout.write(gettext("停止しました。"))

    def _round(self, *, verbose: bool) -> None:
        tally.flush()  # refusals counted in windows that have closed become events first
        result = seal_pending()
        if result.sealed or verbose:
            facts = {"count": result.sealed, "head": result.head_seq}
            if result.checkpoint:
                said = gettext(
                    "%(count)s 件を封印しました。先頭は #%(head)s、チェックポイントは #%(checkpoint)s です。"
                ) % {
                    **facts,
                    "checkpoint": result.checkpoint.seq,
                }
            else:
                said = gettext("%(count)s 件を封印しました。先頭は #%(head)s です。") % facts
            self.stdout.write(self.style.SUCCESS(said))
