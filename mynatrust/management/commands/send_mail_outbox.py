from __future__ import annotations

import signal
import threading
from typing import Any

from django.db import DatabaseError, close_old_connections, connections
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kernel import commands
from mynatrust.outbox.models import MailAnnouncement, OutboxMessage
from mynatrust.outbox.services import run_once


class Command(commands.Command):
    help = _(
        "メールの送信待ち（公開文書のお知らせ、通知、確認した電子委任状の終了の通知）を送ります。1回だけ、または --loop で常駐ワーカーとして"
        "動きます。複数のワーカー（ホストごとに1つ）が安全に作業を分け合います。"
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--loop", action="store_true", help=gettext("止めるまで送信を続ける"))
        parser.add_argument("--interval", type=float, default=5.0, help=gettext("--loop での間隔（秒）"))
        parser.add_argument("--batch", type=int, default=None, help=gettext("SMTP 接続1回あたりのメッセージ数"))
        parser.add_argument("--status", action="store_true", help=gettext("送信待ちを表示するだけで何も変えない"))

    def handle(self, *args: Any, **options: Any) -> None:
        if options["status"]:
            states = dict(MailAnnouncement.State.choices)
            for state, count in MailAnnouncement.objects.values_list("state").annotate(n=_count()).order_by("state"):
                self.stdout.write(
                    gettext("送信するメール（%(state)s）：%(count)s 件")
                    % {"state": states.get(state, state), "count": count}
                )
            statuses = dict(OutboxMessage.Status.choices)
            for status, count in OutboxMessage.objects.values_list("status").annotate(n=_count()).order_by("status"):
                self.stdout.write(
                    gettext("メッセージ（%(status)s）：%(count)s 件")
                    % {"status": statuses.get(status, status), "count": count}
                )
            return
        if not options["loop"]:
            self._report(run_once(batch_size=options["batch"]), always=True)
            return
        self.stdout.write(
            gettext("%(seconds)s 秒ごとにメールの送信待ちを送ります。Ctrl-C で止まります。")
            % {"seconds": options["interval"]}
        )
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
                        self.stderr.write(
                            gettext("送信に失敗しました。データベースが応答するまで再試行します：%(error)s")
                            % {"error": err}
                        )
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
        self.stdout.write(gettext("停止しました。"))

    def _report(self, done: Any, *, always: bool) -> None:
        if always or done.worked:
            self.stdout.write(
                gettext(
                    "宛先ごとに展開した一斉メール %(expanded)s 件、送信 %(sent)s 通、再試行待ち %(retrying)s 通、"
                    "断念 %(given_up)s 通、送り終えたメール %(finished)s 件"
                )
                % {
                    "expanded": done.expanded,
                    "sent": done.sent,
                    "retrying": done.retrying,
                    "given_up": done.given_up,
                    "finished": done.finished,
                }
            )
            self.stdout.flush()


def _count() -> Any:
    from django.db.models import Count

    return Count("pk")
