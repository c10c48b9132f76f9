from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from audit.export import Filters
from audit.services import AuditError, command_actor, stream_export
from kernel import commands


def _when(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


class Command(commands.Command):
    help = _(
        "監査イベントを ZIP（Excel 用の events.csv または events.jsonl、chain.jsonl、manifest.json）に書き出します。"
        "`python -m audit.offline_verify` でデータベースなしに検証できます。書き出しそのものも監査イベントです。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", choices=["csv", "jsonl"], default="csv", help=gettext("ファイル形式"))
        parser.add_argument(
            "--since", type=_when, help=gettext("この時刻から（ISO 8601。時差の指定がなければ日本時間）")
        )
        parser.add_argument("--until", type=_when, help=gettext("この時刻より前まで"))
        parser.add_argument(
            "--event-type", default="", help=gettext("種別（auth.login）、またはドットで終わる名前空間（auth.）")
        )
        parser.add_argument("--actor", default="", help=gettext("操作者の ID または表示（メールアドレス）"))
        parser.add_argument("--subject-type", default="")
        parser.add_argument("--subject-id", default="")
        parser.add_argument(
            "--evidence",
            action="store_true",
            help=gettext("検証に失敗するログも書き出す（署名はせず、マニフェストに verified: false と記載）"),
        )
        parser.add_argument(
            "--out", type=Path, help=gettext("書き出すファイル（既定：現在のディレクトリに自動の名前。- で標準出力）")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        filters = Filters(
            since=options["since"],
            until=options["until"],
            event_type=options["event_type"],
            actor=options["actor"],
            subject_type=options["subject_type"],
            subject_id=options["subject_id"],
        )
        try:
            plan, chunks = stream_export(
                filters, options["format"], actor=command_actor("audit_export"), evidence=options["evidence"]
            )
        except AuditError as err:
            raise CommandError(err.message) from err
        out = options["out"] or Path(plan.file_name())
        if str(out) == "-":
            for chunk in chunks:
                sys.stdout.buffer.write(chunk)
            return
        with out.open("wb") as fh:
            for chunk in chunks:
                fh.write(chunk)
        self.stdout.write(
            self.style.SUCCESS(
                gettext("%(count)s 件の監査イベント（チェーン #%(first)s–#%(last)s）を %(out)s に書き出しました。")
                % {"count": plan.count, "first": plan.from_seq, "last": plan.to_seq, "out": out}
            )
        )
