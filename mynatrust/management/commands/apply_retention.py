"""manage.py apply_retention [--dry-run] [--kind NAME …]: remove or anonymise records past their
retention period (settings.RETENTION_PERIODS; mynatrust/operations/retention.py; docs/retention.md).

A notice before removal that cannot be sent stops nothing: the other records and kinds are done;
once the mail server cannot be reached or refuses the sender, the run tries no further notice (all
go over one connection). A kind whose removal fails stops itself only (its failed batch rolled
back, the batches before kept); a kind whose due records cannot be counted is skipped; a kind whose
records to tell cannot be listed tells nobody but still removes what was told long enough ago. At the end
the command says per kind how many notices were not sent and what happened of each kind that
failed, and exits with status 1 (FAILED) so that the scheduler reports the run; what was removed
stays removed."""

from __future__ import annotations

import sys
from dataclasses import dataclass
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


@dataclass(frozen=True)
class KindFailure:
    """How a kind failed, for the summary: the step, and for a removal what it had done."""

    step: str
    applied: retention.Applied | None = None


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
                gettext("不明な種類です：%(kinds)s（settings.RETENTION_PERIODS を参照してください）")
                % {"kinds": ", ".join(unknown)}
            )
        self.stdout.write(self.style.MIGRATE_HEADING(gettext("保存期間を過ぎた記録（種類ごと）")))
        total_due = total_done = 0
        self.dry_run = dry_run
        self.failed: dict[str, retention.Notices] = {}
        # Kind -> how it failed (a kind whose notices could not be listed may fail its removal too).
        self.failed_kinds: dict[str, list[KindFailure]] = {}
        self.mailing = retention.Mailing()
        self.removed: dict[str, int] = {}
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
            if kind.notice is not None:
                self._tell(kind, now, dry_run=dry_run)
            if not dry_run and outcome.due and outcome.cutoff is not None:
                total_done += self._remove(kind, outcome.cutoff)
        if dry_run:
            self.stdout.write(
                self.style.WARNING(
                    gettext("試行のみ：期限を過ぎた記録は %(count)s 件です。何も変更していません。")
                    % {"count": total_due}
                )
            )
        else:
            if total_done:
                audit.record("retention.run", actor=audit.SYSTEM, due=total_due, applied=total_done)
            self.stdout.write(
                self.style.SUCCESS(
                    gettext("完了：期限を過ぎた %(due)s 件のうち %(done)s 件を削除または匿名化しました。")
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
        self.failed_kinds.setdefault(kind.name, []).append(KindFailure(retention.PLANNING))
        if not self.dry_run:
            retention.record_failure(kind, error, step=retention.PLANNING)

    def _unlisted(self, kind: retention.RecordKind) -> None:
        """Say that the kind's records to tell could not be listed. Its removal goes on: a record is
        due only once told long enough ago, so what is due was told (docs/retention.md)."""
        self.stdout.write(
            self.style.ERROR(
                gettext(
                    "  削除前のお知らせの対象を一覧できませんでした（お知らせはせず、お知らせ済みで期限を過ぎた"
                    "ものだけを削除します。ログを確認してください）"
                )
            )
        )
        self.failed_kinds.setdefault(kind.name, []).append(KindFailure(retention.NOTICES))

    def _tell(self, kind: retention.RecordKind, now: datetime, *, dry_run: bool) -> None:
        """Send the kind's notices before its removal; a dry run counts them and sends none."""
        if dry_run:
            count = retention.notices_due(kind, now)
            if count is None:
                self._unlisted(kind)
            else:
                self.stdout.write(gettext("  削除前のお知らせの対象 %(count)s 件（送っていません）") % {"count": count})
            return
        notices = retention.send_notices(kind, now, self.mailing)
        if notices.unlisted:
            self._unlisted(kind)
            return
        self.stdout.write(
            self.style.SUCCESS(gettext("  削除前のお知らせを %(count)s 件送りました") % {"count": notices.sent})
        )
        if notices.not_tried:
            self.stdout.write(
                self.style.ERROR(
                    gettext(
                        "  メールサーバーに接続できないか送信元アドレスを拒否されたため、"
                        "削除前のお知らせ %(count)s 件は送っていません（削除せず、次の実行で改めて送ります）"
                    )
                    % {"count": notices.not_tried}
                )
            )
        if notices.failed:
            self.failed[kind.name] = notices
        if notices.failed - notices.not_tried:
            self.stdout.write(
                self.style.ERROR(
                    gettext("  削除前のお知らせを %(count)s 件送れませんでした（削除せず、次の実行で改めて送ります）")
                    % {"count": notices.failed - notices.not_tried}
                )
            )

    def _remove(self, kind: retention.RecordKind, cutoff: datetime) -> int:
        """Remove or anonymise what is due of the kind and say how many; a kind that failed part-way
        is noted for the summary at the end. Returns how many were done."""
        applied = retention.apply(kind, cutoff, actor=audit.SYSTEM)
        self.removed[kind.name] = applied.done
        if kind.action == retention.ANONYMISE:
            said = gettext("  %(count)s 件を匿名化しました") % {"count": applied.done}
        else:
            said = gettext("  %(count)s 件を削除しました") % {"count": applied.done}
        self.stdout.write(self.style.SUCCESS(said))
        if applied.failed:
            self.failed_kinds.setdefault(kind.name, []).append(KindFailure(retention.REMOVAL, applied))
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
        """Say which kinds failed and, for each, what was done of it and what was not."""
        if not self.failed_kinds:
            return
        if self.dry_run:
            self.stderr.write(gettext("失敗した種類（試行のみのため何も記録していません）。ログを確認してください："))
        else:
            self.stderr.write(
                gettext("失敗した種類と、それぞれで済んだこと。残りは次の実行で処理します。ログを確認してください：")
            )
        for name, failures in self.failed_kinds.items():
            for failure in failures:
                self.stderr.write(self._what_happened(name, failure))

    def _what_happened(self, name: str, failure: KindFailure) -> str:
        """One line of the summary: what a failed kind came to at the step it failed."""
        if failure.step == retention.PLANNING:
            return gettext("  %(kind)s: 期限を過ぎた記録を数えられず、お知らせも削除もしていません") % {"kind": name}
        if failure.step == retention.NOTICES:
            if self.dry_run:
                return gettext("  %(kind)s: 削除前のお知らせの対象を一覧できず、お知らせはしていません") % {
                    "kind": name
                }
            done = self.removed.get(name, 0)
            return gettext(
                "  %(kind)s: 削除前のお知らせの対象を一覧できず、お知らせはしていません。"
                "お知らせ済みで期限を過ぎた %(count)s 件は削除または匿名化しました"
            ) % {"kind": name, "count": done}
        applied = failure.applied or retention.Applied()
        facts = {"kind": name, "count": applied.done, "batches": applied.batches, "size": retention.AUDIT_BATCH}
        if not applied.rolled_back:
            return gettext("  %(kind)s: 期限を過ぎた記録を一覧できず、何も削除・匿名化していません") % facts
        if not applied.batches:
            return (
                gettext(
                    "  %(kind)s: 最初の回（最大 %(size)s 件）で失敗してその回を取り消し、何も削除・匿名化していません"
                )
                % facts
            )
        return (
            gettext(
                "  %(kind)s: %(batches)s 回分 %(count)s 件を処理したあと、次の回で失敗してその回を取り消しました"
                "（済んだ %(batches)s 回分はそのままです）"
            )
            % facts
        )

    def _report_failed_notices(self) -> None:
        """Say per kind how many notices were not sent."""
        if not self.failed:
            return
        self.stderr.write(
            gettext("送れなかった削除前のお知らせ（種類ごと）。これらの記録は削除せず、次の実行で改めて送ります：")
        )
        for name, notices in self.failed.items():
            line = gettext("  %(kind)s: %(count)s 件") % {"kind": name, "count": notices.failed}
            if notices.not_tried:
                line += gettext(
                    "（うち %(count)s 件はメールサーバーに接続できないか送信元アドレスを拒否されたため送っていません）"
                ) % {"count": notices.not_tried}
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
