"""manage.py restore_backup BACKUP_DIR --into DATABASE_URL (docs/runbook.md §9)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kernel import commands
from mynatrust.operations import backup


class Command(commands.Command):
    help = _(
        "バックアップをそのマニフェストと照合し、データベースの書き出しを別の空の PostgreSQL データベース"
        "（使用中のものには決して復元しません）に復元します。そのあと DATABASE_URL をそのデータベースに向けて "
        "`manage.py audit_verify` を実行してください。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("backup_dir", help=gettext("バックアップのディレクトリ"))
        parser.add_argument(
            "--into", required=True, metavar="DATABASE_URL", help=gettext("空のデータベースの postgres://…")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            backup.restore_backup(Path(options["backup_dir"]), options["into"])
        except backup.BackupError as err:
            raise CommandError(err.message) from err
        self.stdout.write(self.style.SUCCESS(gettext("%(path)s を復元しました。") % {"path": options["backup_dir"]}))
        self.stdout.write(
            gettext(
                "次に：DATABASE_URL=postgres://… manage.py audit_verify を実行し、有効性確認の応答を比べてください。"
            )
        )
