"""manage.py delegation_end_reminders: remind subscribers before a delegation's period ends
(DELEGATION_END_REMINDER_DAYS). Run daily; each end date is reminded once. A reminder the mail
server refuses is not marked: the run says how many and fails (exit status 1), and the next run
sends it."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from delegations import services
from kernel import commands


class Command(commands.Command):
    help = _(
        "有効な電子委任状の委任期間が DELEGATION_END_REMINDER_DAYS 日以内に終わる利用者の構成員にメールで"
        "知らせます。毎日実行します。"
    )

    def handle(self, *args: Any, **options: Any) -> None:
        tally = services.send_end_reminders()
        self.stdout.write(gettext("委任期間の終了のお知らせを %(count)s 件送りました。") % {"count": tally.sent})
        if tally.not_sent:
            raise CommandError(
                gettext(
                    "委任期間の終了のお知らせを %(count)s 件送れませんでした（メールサーバーが受け付けませんでした）。"
                    "送信済みにしていないので、次の実行で改めて送ります。"
                )
                % {"count": tally.not_sent}
            )
