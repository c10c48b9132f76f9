"""manage.py backup --out DIR | --verify BACKUP_DIR (mynatrust/operations/backup.py, docs/runbook.md §9)."""

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
        "データベース（pg_dump のカスタム形式、一貫した1つのスナップショット）と監査アーカイブのセグメントを、"
        "--out の下に新しく作るディレクトリに manifest.json と SHA256SUMS とともにバックアップします。--verify では、"
        "既存のバックアップをそのマニフェストと照合します。鍵ファイルは含みません（秘密情報の保管場所）。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument("--out", help=gettext("バックアップのディレクトリを作る場所"))
        group.add_argument(
            "--verify", metavar="BACKUP_DIR", help=gettext("バックアップのディレクトリをそのマニフェストと照合する")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["verify"]:
            problems = backup.verify_backup(Path(options["verify"]))
            for problem in problems:
                self.stderr.write(self.style.ERROR(problem))
            if problems:
                raise CommandError(
                    gettext("バックアップ %(path)s は完全ではありません（問題 %(count)s 件）。")
                    % {"path": options["verify"], "count": len(problems)}
                )
            self.stdout.write(
                self.style.SUCCESS(
                    gettext("バックアップ %(path)s はマニフェストと一致します。") % {"path": options["verify"]}
                )
            )
            return
        self.stdout.write(gettext("データベースを書き出しています…"))
        try:
            directory = backup.create_backup(Path(options["out"]))
        except backup.BackupError as err:
            raise CommandError(err.message) from err
        self.stdout.write(self.style.SUCCESS(gettext("バックアップを %(path)s に書き込みました") % {"path": directory}))
