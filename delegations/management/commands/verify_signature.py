"""Verify a signed file as the service would, for operators investigating a submission."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from delegations import trust
from delegations.signatures import Indication, signed_content_matches, verify
from kernel import commands

EXIT_CODES = {Indication.TOTAL_PASSED: 0, Indication.TOTAL_FAILED: 1, Indication.INDETERMINATE: 2}


class Command(commands.Command):
    help = _(
        "PAdES の PDF、エンベロープ型の XMLDSig／XAdES の XML、または分離型の CMS 署名を、サービスの唯一の"
        "検証ポリシー（アップロードと同じもの：登録済みのトラストアンカー、時刻認証局のトラストアンカー、設定した"
        "失効情報源、後続の署名とドキュメントタイムスタンプを受け付ける）で検証します。終了コード："
        "0 TOTAL_PASSED、1 TOTAL_FAILED または --content と異なる署名対象、2 INDETERMINATE。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help=gettext("署名されたファイル（PDF、XML、または DER／PEM の CMS 署名）"))
        parser.add_argument(
            "--content",
            help=gettext(
                "署名対象であるはずの XML：分離型の CMS ではそれが覆うバイト列。PDF や XML の署名では、添付または"
                "包含された文書と比べます（異なればコマンドは失敗します）"
            ),
        )
        parser.add_argument(
            "--document",
            choices=trust.DOCUMENTS,
            default="delegation",
            help=gettext("署名された PDF が添付しているべき XML：委任状（既定）または代理人の受諾"),
        )
        parser.add_argument("--json", action="store_true", help=gettext("保存される JSON 形式の検証レポートを表示する"))

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            data = Path(options["file"]).read_bytes()
            content = Path(options["content"]).read_bytes() if options["content"] else None
        except OSError as exc:
            raise CommandError(gettext("ファイルを読めません：%(error)s") % {"error": exc}) from exc
        policy = trust.verification_policy(document=options["document"])
        report = verify(data, policy, content=content)
        code = EXIT_CODES[report.indication]
        mismatch = content is not None and report.passed and not signed_content_matches(report, content)
        if mismatch:
            code = 1
        if options["json"]:
            self.stdout.write(report.to_json())
        else:
            self.stdout.write(gettext("適用したポリシー"))
            for label, value in policy.describe():
                self.stdout.write("  " + _labelled(label, value))
            for label, value in report.rows():
                self.stdout.write(_labelled(label, value))
            if content is not None and report.passed:
                self.stdout.write(
                    gettext("署名対象の内容：%(verdict)s")
                    % {
                        "verdict": gettext("--content と一致しません")
                        if mismatch
                        else gettext("--content と一致します")
                    }
                )
            style = self.style.SUCCESS if code == 0 else self.style.ERROR
            codes = f"{report.indication.value} {report.sub_indication or ''}".strip()
            self.stdout.write(
                style(gettext("結論：%(label)s（%(codes)s）") % {"label": report.indication_label, "codes": codes})
            )
        if mismatch and options["json"]:
            self.stderr.write(gettext("署名対象の内容：%(verdict)s") % {"verdict": gettext("--content と一致しません")})
        if code:
            sys.exit(code)


def _labelled(label: Any, value: Any) -> str:
    return gettext("%(label)s：%(value)s") % {"label": label, "value": value}
