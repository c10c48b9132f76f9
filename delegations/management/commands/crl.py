"""Import CRLs into the indexed revoked-serial table and show their freshness."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

import audit
from delegations import trust
from delegations.models import RevocationList
from kernel import commands
from kernel.services import record_refusal
from mynatrust import cli


class Command(commands.Command):
    help = format_lazy(
        _(
            "CRL（失効リスト）のデータ：`crl import FILE [--as EMAIL] [--dry-run]`、`crl status`。--as を付けると"
            "その職員の認証アプリの現在のコードを尋ねます（または ${variable} から読みます）。付けないと、取込みは"
            "このホストとこの利用者のコマンドラインからのシステムの操作として記録されます。"
        ),
        variable=cli.CODE_VARIABLE,
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help=gettext("CRL（DER または PEM）を検査して取り込む"))
        imp.add_argument("file", help=gettext("CRL のファイル"))
        imp.add_argument(
            "--as",
            dest="actor",
            help=gettext("あなたの職員メールアドレス（認証アプリのコードを尋ねます）。既定：システム"),
        )
        imp.add_argument("--dry-run", action="store_true", help=gettext("CRL を検査するだけで保存しない"))
        sub.add_parser("status", help=gettext("発行者ごとの現在の CRL と、その鮮度"))

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "status":
            self._status()
            return
        with cli.entry_point("crl import"):
            actor = cli.verified_staff(options["actor"], command="crl import") if options["actor"] else audit.SYSTEM
            try:
                result = trust.import_crl(trust.read_file(options["file"]), actor=actor, dry_run=options["dry_run"])
            except trust.TrustError as exc:
                # An unreadable file is refused before the service runs: on the record all the same,
                # as the import's refusal; one the service recorded is not written twice.
                record_refusal(trust.CRL_IMPORT_REFUSED, exc, actor=actor)
                raise CommandError(gettext("拒否しました：%(reason)s") % {"reason": exc.message}) from exc
        facts = {
            "number": result.crl_number,
            "entries": result.entries,
            "this_update": commands.moment(result.this_update),
            "next_update": commands.moment(result.next_update),
            "seconds": f"{result.seconds:.1f}",
        }
        if result.dry_run:
            said = gettext(
                "試行のみ：CRL #%(number)s を取り込めます（失効 %(entries)s 件、発行 %(this_update)s、"
                "次回更新 %(next_update)s、%(seconds)s 秒）。何も保存していません。"
            )
        else:
            said = gettext(
                "CRL #%(number)s を取り込みました（失効 %(entries)s 件、発行 %(this_update)s、"
                "次回更新 %(next_update)s、%(seconds)s 秒）。"
            )
        self.stdout.write(self.style.SUCCESS(said % facts))

    def _status(self) -> None:
        now = datetime.now(UTC)
        current = list(RevocationList.objects.filter(is_current=True).select_related("anchor"))
        stale = 0
        for crl in current:
            fresh = crl.next_update > now
            stale += not fresh
            style = self.style.SUCCESS if fresh else self.style.ERROR
            self.stdout.write(
                style(
                    gettext("%(issuer)s… CRL #%(number)s: 失効 %(entries)s 件、次回更新 %(next_update)s、%(state)s")
                    % {
                        "issuer": crl.anchor.fingerprint_sha256[:16],
                        "number": crl.crl_number,
                        "entries": crl.entries,
                        "next_update": commands.moment(crl.next_update),
                        "state": gettext("期限内") if fresh else gettext("期限切れ"),
                    }
                )
            )
        self.stdout.write(
            gettext("現在の CRL %(count)s 件（うち期限切れ %(stale)s 件）") % {"count": len(current), "stale": stale}
        )
