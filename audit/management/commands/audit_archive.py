from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from audit.services import AuditError, archive_log, command_actor, prune_archived
from kernel import commands


class Command(commands.Command):
    help = _(
        "--before より前の監査ログを、検証済みのセグメントファイル（マニフェストと署名付きチェックポイントを含む）"
        "として10年保存の媒体用に書き出します。--prune を付けると、書き出し済みで AUDIT_RETENTION_DAYS を過ぎた行を"
        "データベースから削除します（行がデータベースを離れる唯一の方法です）。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--before",
            type=date.fromisoformat,
            required=True,
            help=gettext("この日付より前の記録を書き出す（YYYY-MM-DD、日本時間）"),
        )
        parser.add_argument(
            "--out", type=Path, default=None, help=gettext("セグメントファイルの書き出し先（既定：AUDIT_ARCHIVE_DIR）")
        )
        parser.add_argument(
            "--prune", action="store_true", help=gettext("続けて、保存期間を過ぎた書き出し済みの行を削除する")
        )
        parser.add_argument(
            "--dry-run", action="store_true", help=gettext("書き出し・削除の対象を示すだけで、何も書き込まない")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        before = timezone.make_aware(datetime.combine(options["before"], time.min))
        out = options["out"] or Path(settings.AUDIT_ARCHIVE_DIR)
        actor = command_actor("audit_archive")
        dry = options["dry_run"]
        try:
            result = archive_log(before, out, actor=actor, dry_run=dry)
        except AuditError as err:
            raise CommandError(err.message) from err
        if result.last_seq < result.first_seq:
            self.stdout.write(gettext("その日付より前に、新たに書き出す記録はありません。"))
        elif dry:
            self.stdout.write(
                gettext("#%(first)s–#%(last)s を %(out)s に書き出します（試行のみ）。")
                % {"first": result.first_seq, "last": result.last_seq, "out": out}
            )
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    gettext("#%(first)s–#%(last)s を %(path)s に書き出しました。")
                    % {"first": result.first_seq, "last": result.last_seq, "path": result.path}
                )
            )
        if options["prune"]:
            pruned = prune_archived(actor=actor, dry_run=dry)
            facts = {"count": pruned.pruned_events, "segments": ", ".join(pruned.pruned_segments) or gettext("なし")}
            if dry:
                said = gettext("書き出し済みセグメントの %(count)s 件を削除します（試行のみ）：%(segments)s。") % facts
            else:
                said = gettext("書き出し済みセグメントの %(count)s 件を削除しました：%(segments)s。") % facts
            self.stdout.write(said)
