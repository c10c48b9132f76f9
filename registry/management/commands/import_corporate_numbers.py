from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

import audit
from kernel import commands
from registry.importer import Importer, Summary
from registry.nta import FileFormatError


class Command(commands.Command):
    help = _(
        "国税庁の法人番号公表サイトの全件データ・差分データ（ZIP または CSV、UTF-8 または Shift_JIS、30列、"
        "見出し行なし）を手元の表に取り込みます。何度実行しても同じ結果になり、中断から再開できます。"
        "取り込み済みのファイルは飛ばし（--force で読み直します）、中断したファイルは最後に確定した単位の"
        "次から続けます。不正な行は行番号とともに示して飛ばします。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", type=Path, help=gettext("ZIP または CSV のファイル（公表順）"))
        parser.add_argument("--dry-run", action="store_true", help=gettext("検証だけして何も書き込まない"))
        parser.add_argument("--force", action="store_true", help=gettext("取り込み済みのファイルももう一度取り込む"))
        parser.add_argument("--batch-size", type=int, default=20_000, help=gettext("1回に確定する行数（既定 20000）"))
        parser.add_argument("--quiet-bad-rows", action="store_true", help=gettext("不正な行を一覧せず数だけ示す"))

    def handle(self, *args: Any, **options: Any) -> None:
        interactive = sys.stderr.isatty()
        importer = self._importer(options, interactive=interactive)
        totals = Summary("total")
        for path in options["files"]:
            if not path.is_file():
                raise CommandError(gettext("%(path)s: ファイルがありません。") % {"path": path})
            summary = self._import_file(importer, path, interactive=interactive, dry_run=options["dry_run"])
            if summary is not None:
                totals.written += summary.written
                totals.bad += summary.bad
        style = self.style.WARNING if totals.bad else self.style.SUCCESS
        facts = {"rows": f"{totals.written:,}", "bad": f"{totals.bad:,}"}
        if options["dry_run"]:
            said = (
                gettext(
                    "試行のみ：%(rows)s 件を取り込めます。不正な行 %(bad)s 件を飛ばします。何も書き込んでいません。"
                )
                % facts
            )
        else:
            said = gettext("%(rows)s 件を取り込み、不正な行 %(bad)s 件を飛ばしました。") % facts
        self.stdout.write(style(said))

    def _importer(self, options: dict[str, Any], *, interactive: bool) -> Importer:
        """An importer that lists bad rows (unless asked not to) and shows its progress on stderr."""
        show_bad = not options["quiet_bad_rows"]

        def bad(name: str, line: int, reason: str) -> None:
            if show_bad:
                self.stderr.write(f"{name}:{line}: {reason}")

        def progress(summary: Summary, rate: float) -> None:
            text = gettext("  %(file)s: %(lines)s 行を読み、%(rows)s 件を書き込み（毎秒 %(rate)s 行）") % {
                "file": summary.file_name,
                "lines": f"{summary.lines:,}",
                "rows": f"{summary.written:,}",
                "rate": f"{rate:,.0f}",
            }
            if interactive:
                self.stderr.write(text, ending="\r")
            elif summary.lines % 1_000_000 < options["batch_size"]:
                self.stderr.write(text)

        return Importer(
            batch_size=options["batch_size"],
            dry_run=options["dry_run"],
            force=options["force"],
            report_bad=bad,
            progress=progress,
        )

    def _import_file(self, importer: Importer, path: Path, *, interactive: bool, dry_run: bool) -> Summary | None:
        """Import one file and say what it gave; None when it was imported already."""
        try:
            summary = importer.import_file(path)
        except FileFormatError as exc:
            raise CommandError(f"{path}: {exc}") from None
        if interactive:
            self.stderr.write("")
        if summary.already_done:
            self.stdout.write(
                gettext("%(file)s: 取り込み済みです（%(rows)s 件）。もう一度読むには --force を付けます。")
                % {"file": path.name, "rows": f"{summary.written:,}"}
            )
            return None
        facts = {
            "file": path.name,
            "lines": f"{summary.lines:,}",
            "rows": f"{summary.written:,}",
            "history": f"{summary.history_skipped:,}",
            "bad": f"{summary.bad:,}",
        }
        said = (
            gettext(
                "%(file)s: %(lines)s 行を読み、%(rows)s 件を書き込み、履歴の行 %(history)s 件と不正な行 %(bad)s 件を"
                "飛ばしました"
            )
            % facts
        )
        if summary.resumed_from:
            said += gettext("（%(line)s 行目の次から再開）") % {"line": f"{summary.resumed_from:,}"}
        self.stdout.write(said)
        if not dry_run:
            audit.record(
                "registry.corporate_numbers.imported",
                actor=audit.SYSTEM,
                file=path.name,
                lines=summary.lines,
                rows=summary.written,
                bad_rows=summary.bad,
            )
        return summary
