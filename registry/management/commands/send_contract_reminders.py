from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser
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
                gettext("試行のみ: %(count)s 件の更新案内を送ることになります。何も送っていません。")
                % {"count": len(due)}
            )
            return
        sent = services.send_renewal_reminders(actor=audit.SYSTEM, today=today)
        self.stdout.write(self.style.SUCCESS(gettext("更新案内を %(count)s 件送りました。") % {"count": sent}))
