from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from audit.commandline import KeyFile
from kernel import commands
from validity import signing

# The key that signs every validity answer exists only together with the event of its creation.
SIGNING_KEY = KeyFile(
    command="validity_signing_key create",
    created="validity.signing_key.created",
    refused="validity.signing_key.create_refused",
    identifier="kid",  # as /.well-known/jwks.json publishes it (the RFC 7638 thumbprint)
)


class Command(commands.Command):
    help = _(
        "署名付きの有効性回答（ES256）に使う P-256 の鍵を作るか、公開している鍵を示します。"
        "鍵の交換：新しい鍵を作り、古いファイルを VALIDITY_PUBLISHED_KEY_FILES に加え、"
        "VALIDITY_SIGNING_KEY_FILE を新しい鍵に向けて、ワーカーを再起動します。"
    )

    # It creates the key whose absence the checks report (validity.E001).
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "action", choices=["create", "show"], help=gettext("create: 鍵を作る、show: 公開している鍵を示す")
        )
        parser.add_argument("path", nargs="?", help=gettext("作るファイル（既定：VALIDITY_SIGNING_KEY_FILE）"))
        parser.add_argument("--dry-run", action="store_true", help=gettext("何を作るかを示すだけで何も作らない"))

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "show":
            keys = signing.jwks()["keys"]
            for jwk in keys:
                self.stdout.write(gettext("鍵 ID %(kid)s（%(alg)s）") % {"kid": jwk["kid"], "alg": jwk["alg"]})
            self.stdout.write(self.style.SUCCESS(gettext("公開している鍵：%(count)s 件") % {"count": len(keys)}))
            return
        target = Path(options["path"] or settings.VALIDITY_SIGNING_KEY_FILE or "")
        if not str(target) or str(target) == ".":
            raise CommandError(gettext("パスを指定するか、VALIDITY_SIGNING_KEY_FILE を設定してください。"))
        if target.exists():
            SIGNING_KEY.refuse_to_overwrite(target)
        if options["dry_run"]:
            self.stdout.write(gettext("試行のみ：%(path)s を作ることになります。") % {"path": target})
            return
        kid = SIGNING_KEY.create(target, signing.generate_key_file)
        self.stdout.write(
            self.style.SUCCESS(gettext("%(path)s を作りました（鍵 ID %(kid)s）") % {"path": target, "kid": kid})
        )
