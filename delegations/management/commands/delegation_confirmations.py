"""manage.py delegation_confirmations [--dry-run]: mail the periodic-confirmation notices of §4.3
(delegations/confirmation.py). Run daily; a notice is never sent twice for the same due date. A mail
the mail server refuses is not recorded as sent: the run says how many and fails (exit status 1),
and the next run sends it."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from delegations import confirmation
from delegations.models import ConfirmationNotice
from kernel import commands


class Command(commands.Command):
    help = _(
        "登録された電子委任状の定期確認（§4.3）の時期が来た利用者と、期限を過ぎた利用者にメールを送り、"
        "受付の対応を待つ件数を示します。毎日実行します。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help=gettext("数えるだけで、送信も記録もしない"))

    def handle(self, *args: Any, **options: Any) -> None:
        counts = confirmation.send_reminders(dry_run=options["dry_run"])
        if options["dry_run"]:
            prompt = gettext(
                "確認のお願い（通知期間内に期限が来るもの）：対象 %(count)s 件（試行のみ、送っていません）"
            )
            reminder = gettext("期限超過のお知らせ（期限を過ぎたもの）：対象 %(count)s 件（試行のみ、送っていません）")
        else:
            prompt = gettext("確認のお願い（通知期間内に期限が来るもの）：%(count)s 件送りました")
            reminder = gettext("期限超過のお知らせ（期限を過ぎたもの）：%(count)s 件送りました")
        self.stdout.write(prompt % {"count": counts[ConfirmationNotice.Stage.PROMPT]})
        self.stdout.write(reminder % {"count": counts[ConfirmationNotice.Stage.REMINDER]})
        self.stdout.write(gettext("受付の対応待ち：%(count)s 件") % {"count": confirmation.for_follow_up().count()})
        if counts.get(confirmation.NOT_SENT):
            raise CommandError(
                gettext(
                    "定期確認のメールを %(count)s 通送れませんでした（メールサーバーが受け付けませんでした）。"
                    "送信済みにしていないので、次の実行で改めて送ります。"
                )
                % {"count": counts[confirmation.NOT_SENT]}
            )
