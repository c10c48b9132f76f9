"""manage.py apply_retention [--dry-run] [--kind NAME …]: remove or anonymise records past their
retention period (settings.RETENTION_PERIODS; mynatrust/operations/retention.py; docs/retention.md).

A notice before removal that cannot be sent stops nothing: the other records and kinds are done.
A kind whose removal fails stops itself only (its failed batch rolled back, the batches before kept);
a kind whose due records cannot be counted, or whose records to tell cannot be listed, is skipped.
At the end the command says per kind how many notices were not sent and which kinds failed, and
exits with status 1 (FAILED) so that the scheduler reports the run; what was removed stays removed."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

import audit
from kernel import commands
from mynatrust.operations import retention

# The exit status of a run in which a notice before removal could not be sent or a kind failed.
FAILED = 1


class Command(commands.Command):
    help = _(
        "保存期間（§6.2.9）を過ぎた記録を種類ごとに示し、削除または匿名化します。期間内の記録には触れず、"
        "削除はすべて監査イベントになります。毎日実行します。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help=gettext("期限を過ぎたものを示すだけで何も変えない"))
        parser.add_argument("--kind", action="append", default=[], help=gettext("この種類だけ（繰り返し指定可）"))

    def handle(self, *args: Any, **options: Any) -> None:
        dry_run: bool = options["dry_run"]
        only = set(options["kind"]) or None
        now = timezone.now()
        rows = retention.plan(now, only=only)
        unknown = sorted((only or set()) - {outcome.kind for _kind, outcome in rows})
        if unknown:
            raise CommandError(
                gettext("不明な種類です: %(kinds)s（settings.RETENTION_PERIODS を参照してください）")
                % {"kinds": ", ".join(unknown)}
            )
        self.stdout.write(self.style.MIGRATE_HEADING(gettext("保存期間を過ぎた記録（種類ごと）")))
        total_due = total_done = 0
        self.dry_run = dry_run
        self.failed: dict[str, retention.Notices] = {}
        # Kind -> (the step it failed at, how many of it were done before).
        self.failed_kinds: dict[str, tuple[str, int]] = {}
        for kind, outcome in rows:
            facts = {"kind": outcome.kind, "period": period_text(outcome.period)}
            if kind is None:
                self.stdout.write(gettext("%(kind)s: 保存期間 %(period)s。%(note)s") % {**facts, "note": outcome.note})
                continue
            if outcome.error is not None:
                self._unplanned(kind, outcome.error, facts)
                continue
            # The cutoff in Japan time, as a person in Japan reads it: never a bare UTC time.
            self.stdout.write(
                gettext("%(kind)s: 保存期間 %(period)s、%(cutoff)s より前のもの %(due)s 件")
                % {**facts, "cutoff": commands.moment(outcome.cutoff), "due": outcome.due}
            )
            total_due += outcome.due
            if kind.notice is not None and not self._tell(kind, now, dry_run=dry_run):
                continue  # its records to tell are unknown: nothing of it is removed
            if not dry_run and outcome.due and outcome.cutoff is not None:
                total_done += self._remove(kind, outcome.cutoff)
        if dry_run:
            self.stdout.write(
                self.style.WARNING(
                    gettext("試行のみ: 期限を過ぎた記録は %(count)s 件です。何も変更していません。")
                    % {"count": total_due}
                )
            )
        else:
            if total_done:
                audit.record("retention.run", actor=audit.SYSTEM, due=total_due, applied=total_done)
            self.stdout.write(
                self.style.SUCCESS(
                    gettext("完了: 期限を過ぎた %(due)s 件のうち %(done)s 件を削除または匿名化しました。")
                    % {"due": total_due, "done": total_done}
                )
            )
        self._report_failures()

    def _unplanned(self, kind: retention.RecordKind, error: Exception, facts: dict[str, str]) -> None:
        """Say that the kind's due records could not be counted and skip it; a real run records it."""
        self.stdout.write(
            self.style.ERROR(
                gettext(
                    "%(kind)s: 保存期間 %(period)s、期限を過ぎた記録を数えられませんでした（ログを確認してください）"
                )
                % facts
            )
        )
        self.failed_kinds[kind.name] = (retention.PLANNING, 0)
        if not self.dry_run:
            retention.record_failure(kind, error, step=retention.PLANNING)

    def _unlisted(self, kind: retention.RecordKind) -> bool:
        """Say that the kind's records to tell could not be listed; False, the kind is skipped."""
        self.stdout.write(
            self.style.ERROR(
                gettext(
                    "  削除前のお知らせの対象を一覧できませんでした（この種類は削除しません。ログを確認してください）"
                )
            )
        )
        self.failed_kinds[kind.name] = (retention.NOTICES, 0)
        return False

    def _tell(self, kind: retention.RecordKind, now: datetime, *, dry_run: bool) -> bool:
        """Send the kind's notices before its removal; a dry run counts them and sends none. False
        when the records to tell could not be listed (nothing of the kind is then removed)."""
        if dry_run:
            count = retention.notices_due(kind, now)
            if count is None:
                return self._unlisted(kind)
            self.stdout.write(gettext("  削除前のお知らせの対象 %(count)s 件（送っていません）") % {"count": count})
            return True
        notices = retention.send_notices(kind, now)
        if notices.unlisted:
            return self._unlisted(kind)
        self.stdout.write(
            self.style.SUCCESS(gettext("  削除前のお知らせを %(count)s 件送りました") % {"count": notices.sent})
        )
        if notices.failed:
            self.failed[kind.name] = notices
            self.stdout.write(
                self.style.ERROR(
                    gettext("  削除前のお知らせを %(count)s 件送れませんでした（削除せず、次の実行で改めて送ります）")
                    % {"count": notices.failed}
                )
            )
        return True

    def _remove(self, kind: retention.RecordKind, cutoff: datetime) -> int:
        """Remove or anonymise what is due of the kind and say how many; a kind that failed part-way
        is noted for the summary at the end. Returns how many were done."""
        applied = retention.apply(kind, cutoff, actor=audit.SYSTEM)
        if kind.action == retention.ANONYMISE:
            said = gettext("  %(count)s 件を匿名化しました") % {"count": applied.done}
        else:
            said = gettext("  %(count)s 件を削除しました") % {"count": applied.done}
        self.stdout.write(self.style.SUCCESS(said))
        if applied.failed:
            self.failed_kinds[kind.name] = (retention.REMOVAL, applied.done)
            self.stdout.write(
                self.style.ERROR(gettext("  ここで失敗しました。残りは次の実行で処理します（ログを確認してください）"))
            )
        return applied.done

    def _report_failures(self) -> None:
        """Say per kind how many notices were not sent and which kinds failed, then end with a
        non-zero status."""
        self._report_failed_notices()
        self._report_failed_kinds()
        if self.failed or self.failed_kinds:
            sys.exit(FAILED)

    def _report_failed_kinds(self) -> None:
        """Say which kinds failed, at which step and after how many records."""
        if not self.failed_kinds:
            return
        if self.dry_run:
            self.stderr.write(gettext("失敗した種類（試行のみのため何も記録していません）。ログを確認してください："))
        else:
            self.stderr.write(
                gettext(
                    "途中で失敗した種類。失敗した回の処理は取り消し、それより前に済んだものはそのままです。"
                    "残りは次の実行で処理します。ログを確認してください："
                )
            )
        for name, (step, done) in self.failed_kinds.items():
            facts = {"kind": name, "count": done}
            if step == retention.PLANNING:
                line = gettext("  %(kind)s: 期限を過ぎた記録を数えられず、お知らせも削除もしていません") % facts
            elif step == retention.NOTICES:
                line = gettext("  %(kind)s: 削除前のお知らせの対象を一覧できず、お知らせも削除もしていません") % facts
            else:
                line = gettext("  %(kind)s: %(count)s 件を処理したあとに失敗しました") % facts
            self.stderr.write(line)

    def _report_failed_notices(self) -> None:
        """Say per kind how many notices were not sent."""
        if not self.failed:
            return
        self.stderr.write(
            gettext("送れなかった削除前のお知らせ（種類ごと）。これらの記録は削除せず、次の実行で改めて送ります：")
        )
        for name, notices in self.failed.items():
            line = gettext("  %(kind)s: %(count)s 件") % {"kind": name, "count": notices.failed}
            if notices.unexpected:
                line += gettext("（うち %(count)s 件は想定外のエラーです。ログを確認してください）") % {
                    "count": notices.unexpected
                }
            self.stderr.write(line)


def period_text(text: str) -> str:
    """A period of the settings table (10y, 6m, 30d) as a person reads it: 10年, 6か月, 30日."""
    try:
        return retention.Period.parse(text).spoken()
    except ValueError:
        return text
