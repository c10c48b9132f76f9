from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from audit import keys, signing
from kernel import commands


class Command(commands.Command):
    help = _(
        "監査人がチェックポイントの検証に使う公開鍵を表示します。--generate で Ed25519 のチェックポイント鍵ファイルを新たに作ります。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--generate", type=Path, metavar="PATH", help=gettext("新しい秘密鍵を PATH に書き込む（モード 600）")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = options["generate"]
        if path is not None:
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError as err:
                raise CommandError(gettext("%(path)s は既にあります。鍵は上書きしません。") % {"path": path}) from err
            with os.fdopen(fd, "wb") as fh:
                fh.write(signing.generate_private_key_pem())
            key = signing.load_private_key(path.read_bytes()).public_key()
            self.stdout.write(
                self.style.SUCCESS(
                    gettext(
                        "%(path)s に書き込みました。鍵 ID %(key_id)s。AUDIT_CHECKPOINT_KEY_PATH にこのファイルを指定してください。"
                    )
                    % {"path": path, "key_id": signing.key_id(key)}
                )
            )
            return
        try:
            key = keys.private_key().public_key()
        except keys.KeyUnavailable as err:
            raise CommandError(str(err)) from err
        self.stdout.write(signing.public_pem(key))
        self.stdout.write(gettext("鍵 ID（鍵そのものの SHA-256）: %(key_id)s") % {"key_id": signing.key_id(key)})
