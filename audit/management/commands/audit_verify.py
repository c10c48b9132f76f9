from __future__ import annotations

import os
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from audit.services import command_actor, verify_log
from kernel import commands


class Command(commands.Command):
    help = _(
        "監査ログを検証します。すべてのハッシュを計算し直し、連番の連続とすべてのチェックポイントの署名を確かめ、"
        "最初の不正な記録を報告します。検証そのものも監査イベントです。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--from", dest="from_seq", type=int, help=gettext("最初の連番（既定：データベースにある最初の記録）")
        )
        parser.add_argument("--to", dest="to_seq", type=int, help=gettext("最後の連番（既定：先頭）"))
        parser.add_argument(
            "--workers",
            type=int,
            default=os.cpu_count() or 1,
            help=gettext("長い範囲で使うプロセス数（PostgreSQL。既定：コア数）"),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        report = verify_log(
            actor=command_actor("audit_verify"),
            from_seq=options["from_seq"],
            to_seq=options["to_seq"],
            workers=options["workers"],
        )
        for problem in report.problems:
            self.stderr.write(self.style.ERROR(str(problem)))
        for loss in report.losses:  # acknowledged, and reported by every verification
            self.stdout.write(self.style.WARNING(loss))
        facts = {
            "first": report.from_seq,
            "last": report.to_seq,
            "entries": report.entries,
            "checkpoints": report.checkpoints,
            "head": f"{report.head_hash[:16]}…",
        }
        if not report.ok:
            raise CommandError(
                gettext(
                    "監査ログの検証に失敗しました。#%(first)s–#%(last)s: 記録 %(entries)s 件とチェックポイント "
                    "%(checkpoints)s 件を確認。先頭 %(head)s"
                )
                % facts
            )
        self.stdout.write(
            self.style.SUCCESS(
                gettext(
                    "監査ログを検証しました。#%(first)s–#%(last)s: 記録 %(entries)s 件とチェックポイント "
                    "%(checkpoints)s 件を確認。先頭 %(head)s"
                )
                % facts
            )
        )
