from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from audit import keys, signing
from audit.commandline import CHECKPOINT_KEY
from kernel import commands


class Command(commands.Command):
    help = _(
        "監査人がチェックポイントの検証に使う公開鍵を表示します。--generate で Ed25519 のチェックポイント鍵ファイルを新たに作り、"
        "その作成を監査ログに記録します（先に migrate を実行してください）。"
    )

    # It creates the key whose absence the checks report (audit.E001).
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--generate", type=Path, metavar="PATH", help=gettext("新しい秘密鍵を PATH に書き込む（モード 600）")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = options["generate"]
        if path is not None:
            key_id = CHECKPOINT_KEY.create(path, keys.generate_key_file)
            self.stdout.write(
                self.style.SUCCESS(
                    gettext(
                        "%(path)s に書き込みました。鍵 ID %(key_id)s。AUDIT_CHECKPOINT_KEY_PATH にこのファイルを指定してください。"
                    )
                    % {"path": path, "key_id": key_id}
                )
            )
            return
        try:
            key = keys.private_key().public_key()
        except keys.KeyUnavailable as err:
            raise CommandError(str(err)) from err
        self.stdout.write(signing.public_pem(key))
        self.stdout.write(gettext("鍵 ID（鍵そのものの SHA-256）：%(key_id)s") % {"key_id": signing.key_id(key)})
