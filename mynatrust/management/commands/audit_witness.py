"""manage.py audit_witness (audit/management/commands/audit_witness.py), plus ``--rebase EVENT_ID
--as EMAIL``: after a restore older than the heads the witness cosigned, acknowledged by the service
manager and the auditor (``audit_restore``), the auditor who acknowledged it moves the witness on to
the service's new checkpoint (mynatrust.operations.restores.rebase_witness, docs/runbook.md §9).
This command takes the audit app's place (``mynatrust`` comes first in INSTALLED_APPS): acting for a
staff member is the project's, which the audit app may not import."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from audit.management.commands.audit_witness import Command as WitnessCommand
from mynatrust import cli
from mynatrust.operations import restores


class Command(WitnessCommand):
    help = format_lazy(
        "{}{}",
        WitnessCommand.help,
        _(
            "--rebase EVENT_ID --as EMAIL（この立会人が連署した先頭より古いバックアップからの復元を確認した監査人）では、"
            "その確認を署名付きチェーンと照合し、新しいチェックポイントに連署します。付け替えは立会人の先頭ファイルと"
            "記録簿に残り、監査イベントとして記録されます。"
        ),
    )

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--rebase",
            type=int,
            metavar="EVENT_ID",
            help=gettext("失われた先頭を越えて連署することを認める audit.restore_loss_acknowledged イベント"),
        )
        parser.add_argument(
            "--as",
            dest="actor",
            help=gettext(
                "--rebase とともに：あなたの職員メールアドレス（認証アプリのコードを尋ねます。$%(variable)s からも読みます）"
            )
            % {"variable": cli.CODE_VARIABLE},
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["rebase"] is None:
            if options["actor"]:
                raise CommandError(gettext("--as は --rebase とともにだけ使えます"))
            super().handle(*args, **options)
            return
        if options["print_key"]:
            raise CommandError(gettext("--print-key は --rebase とともに使えません"))
        if not options["actor"]:
            raise CommandError(gettext("--rebase には --as EMAIL（消失を確認した監査人）が必要です"))
        self._require_source(options)
        witness_key, state = self._witness()
        with cli.entry_point("audit_witness --rebase"):
            actor = cli.verified_staff(options["actor"], command="audit_witness --rebase")
            try:
                cosignature, facts = restores.rebase_witness(
                    options["rebase"],
                    actor=actor,
                    state=state,
                    witness_key=witness_key,
                    document_since=lambda since: self._document(options, since),
                )
            except restores.RestoreError as exc:
                raise CommandError(gettext("拒否しました：%(reason)s") % {"reason": exc.message}) from exc
            self._finish(
                options,
                cosignature,
                gettext(
                    "付け替えました。立会人の先頭 #%(from_seq)s は失われています（#%(lost_from)s–#%(lost_to)s、"
                    "イベント %(event_id)s で確認済み）。チェックポイント #%(to_seq)s に連署しました。これは以前に連署した "
                    "#%(onto_seq)s を延長しています。%(state)s とその記録簿に保管しました。"
                )
                % {**facts, "state": state},
            )
