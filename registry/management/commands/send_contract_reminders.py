"""manage.py send_contract_reminders [--dry-run]: remind the members of contracts nearing their end
(registry.services.send_renewal_reminders). Run daily; each contract end date is reminded once. A
reminder the mail server refuses is not marked: the run says how many and fails (exit status 1),
and the next run sends it."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.db.models import F
from django.template.defaultfilters import date
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

import audit
from kernel import commands
from registry import services
from registry.models import Subscriber


class Command(commands.Command):
    help = _(
        "契約の終了が REGISTRY_RENEWAL_REMINDER_DAYS 日以内に迫った利用者の構成員にメールで知らせます。"
        "契約終了日ごとに1回だけです。毎日実行します（cron または systemd タイマー）。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help=gettext("知らせる相手を一覧するだけで何も送らない"))

    def handle(self, *args: Any, **options: Any) -> None:
        today = timezone.localdate()
        if options["dry_run"]:
            due = Subscriber.objects.nearing_end(today).exclude(reminded_for_end=F("contract_end"))
            for subscriber in due:
                self.stdout.write(
                    gettext("  %(subscriber)s（契約終了日 %(end)s）")
                    % {"subscriber": subscriber, "end": date(subscriber.contract_end, "DATE_FORMAT")}
                )
            self.stdout.write(
                gettext("試行のみ：%(count)s 件の更新案内を送ることになります。何も送っていません。")
                % {"count": len(due)}
            )
            return
        tally = services.send_renewal_reminders(actor=audit.SYSTEM, today=today)
        self.stdout.write(self.style.SUCCESS(gettext("更新案内を %(count)s 件送りました。") % {"count": tally.sent}))
        if tally.not_sent:
            raise CommandError(
                gettext(
                    "更新案内を %(count)s 件送れませんでした（メールサーバーが受け付けませんでした）。"
                    "送信済みにしていないので、次の実行で改めて送ります。"
                )
                % {"count": tally.not_sent}
            )
