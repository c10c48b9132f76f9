"""manage.py audit_restore status | request --as EMAIL --reason TEXT | acknowledge REQUEST_ID --as EMAIL
(mynatrust/operations/restores.py, docs/runbook.md §9)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from audit import heads, restores
from kernel import commands
from mynatrust import cli
from mynatrust.operations import restores as acknowledgements


class Command(commands.Command):
    help = format_lazy(
        _(
            "最後に署名された監査ログの先頭より古いバックアップから復元したあと、シーケンサーは2人がその欠落を確認するまで"
            "何も署名しません。`audit_restore status` は欠落と未確認の依頼を示し、`audit_restore request --as EMAIL "
            "--reason TEXT`（サービス責任者）が確認を依頼し、`audit_restore acknowledge REQUEST_ID --as EMAIL`"
            "（監査人、別の人）が失われた位置を確定して先頭ファイルを付け替えます。--as で職員として操作するときは、"
            "その職員の認証アプリの現在のコードを尋ねます（画面に表示せず、または ${variable} から）。"
        ),
        variable=cli.CODE_VARIABLE,
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("status", help=gettext("いま見つかる欠落と、未確認の依頼"))
        request = sub.add_parser("request", help=gettext("欠落の確認を依頼する（サービス責任者）"))
        request.add_argument("--reason", required=True, help=gettext("何を、なぜ復元したか、その記録がどこにあるか"))
        request.add_argument("--dry-run", action="store_true", help=gettext("依頼せずに欠落を示す"))
        acknowledge = sub.add_parser("acknowledge", help=gettext("別の人の依頼を確認する（監査人）"))
        acknowledge.add_argument("request_id", type=int, help=gettext("依頼の番号"))
        acknowledge.add_argument("--dry-run", action="store_true", help=gettext("確認せずに依頼を示す"))
        for p in (request, acknowledge):
            cli.add_actor_argument(p)

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "status":
            self._status()
            return
        if options["dry_run"]:
            self._status()
            self.stdout.write(gettext("試行のみ：依頼も確認もしていません"))
            return
        with cli.entry_point(f"audit_restore {action}"):
            actor = cli.verified_staff(options["actor"], command=f"audit_restore {action}")
            try:
                if action == "request":
                    event = acknowledgements.request_acknowledgement(actor=actor, reason=options["reason"])
                    self.stdout.write(
                        self.style.SUCCESS(
                            gettext(
                                "依頼 %(id)s を記録しました：位置 #%(lost_from)s–#%(lost_to)s が失われています。監査人が "
                                "%(hours)s 時間以内に `audit_restore acknowledge %(id)s --as EMAIL` で確認します。"
                            )
                            % {
                                "id": event.pk,
                                "lost_from": event.data["lost_from"],
                                "lost_to": event.data["lost_to"],
                                "hours": acknowledgements.REQUEST_HOURS,
                            }
                        )
                    )
                else:
                    event = acknowledgements.acknowledge(options["request_id"], actor=actor)
                    self.stdout.write(
                        self.style.SUCCESS(
                            gettext(
                                "#%(lost_from)s–#%(lost_to)s の欠落を確認しました（イベント %(id)s）。先頭ファイルは"
                                "チェックポイント #%(anchor)s を指し、署名を再開します。"
                            )
                            % {
                                "lost_from": event.data["lost_from"],
                                "lost_to": event.data["lost_to"],
                                "id": event.pk,
                                "anchor": event.data["anchor_seq"],
                            }
                        )
                    )
            except acknowledgements.RestoreError as exc:
                raise CommandError(gettext("拒否しました：%(reason)s") % {"reason": exc.message}) from exc

    def _status(self) -> None:
        try:
            loss = restores.find_loss()
        except (restores.Unprovable, heads.Unreadable) as err:
            raise CommandError(gettext("監査ログがそれだけでは検証できません：%(reason)s") % {"reason": err}) from err
        if loss is None:
            self.stdout.write(gettext("監査ログは最後に署名された先頭を延長しています。確認するものはありません。"))
        else:
            self.stdout.write(
                gettext(
                    "署名された先頭 #%(seq)s（%(head)s…、%(time)s）はこのログにありません：%(problem)s。\n"
                    "このログにある最新のチェックポイントは #%(anchor)s、ログの先頭は #%(database)s です。"
                    "署名済みで失われた範囲：#%(lost_from)s–#%(lost_to)s。"
                )
                % {
                    "seq": loss.signed.seq,
                    "head": loss.signed.head[:16],
                    "time": _when(loss.signed.time),
                    "problem": loss.problem,
                    "anchor": loss.anchor.seq,
                    "database": loss.database_seq,
                    "lost_from": loss.lost_from,
                    "lost_to": loss.lost_to,
                }
            )
        for request in acknowledgements.pending_requests():
            self.stdout.write(
                gettext("未確認の依頼 %(id)s（%(who)s、%(when)s）：#%(lost_from)s–#%(lost_to)s、%(reason)s")
                % {
                    "id": request.pk,
                    "who": request.actor_label,
                    "when": commands.moment(request.created_at),
                    "lost_from": request.data.get("lost_from"),
                    "lost_to": request.data.get("lost_to"),
                    "reason": request.data.get("reason", ""),
                }
            )


def _when(value: str) -> str:
    """A head file's time (ISO 8601, UTC) as a person in Japan reads it."""
    try:
        return commands.moment(datetime.fromisoformat(value))
    except ValueError:
        return value or "—"
