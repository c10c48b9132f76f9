"""Demo only: put a test card for one delegation in SoftHSM2, for signing with the card helper."""

from __future__ import annotations

import secrets
import shlex
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from delegations import softcard
from delegations.models import Delegation, SignedFile
from kernel import commands
from mynatrust.lib import delegation_id as delegation_ids

PIN = "1234abcd"


class Command(commands.Command):
    help = _(
        "デモ専用：署名待ちの電子委任状のためのテスト用カード（電子委任状の PDF には委任者の代表者の、受諾書の PDF には受任者の"
        "署名用の鍵を、それぞれ利用者証明用の鍵と並べて持つ）を SoftHSM2 のトークンに作り、ダウンロードした PDF に"
        "PKCS#11 でそのカードで署名するコマンドを示します。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("delegation_id", help=gettext("電子委任状のページに表示される委任状 ID"))
        parser.add_argument(
            "--role",
            choices=SignedFile.Role.values,
            default=SignedFile.Role.PRINCIPAL,
            help=gettext(
                "だれのカードか：principal は委任者の代表者（既定、電子委任状に署名）、agent は受任者（受諾書に署名）"
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION or not settings.DEMO_MODE:
            raise CommandError(gettext("demo_card はデモ（DEMO_MODE）でだけ動きます。"))
        from delegations.demo import load_demo_pki, test_card_persona

        try:
            canonical = delegation_ids.parse(options["delegation_id"])
        except delegation_ids.DelegationIdError as exc:
            raise CommandError(str(exc.message)) from exc
        delegation = Delegation.objects.filter(delegation_id=canonical).select_related("subscriber").first()
        if delegation is None or delegation.status != Delegation.Status.AWAITING_SIGNATURES:
            raise CommandError(gettext("署名待ちの電子委任状 %(id)s はありません。") % {"id": canonical})
        role = options["role"]
        pki = load_demo_pki()
        persona = pki.issue(test_card_persona(delegation, role))
        folder = Path(settings.BASE_DIR) / "var" / "softhsm"
        conf = softcard.configure(folder)
        label = f"DEMO-{role}-{secrets.token_hex(3)}"
        keys = [pki.personas["authentication"], persona]  # as on a card: authentication key, then signing
        softcard.create_token(folder, label, PIN, [p.key for p in keys])
        softcard.add_certificates(label, PIN, [p.cert for p in keys])
        (folder / "test-root.der").write_bytes(pki.root_der)
        (folder / "test-crl.der").write_bytes(pki.crl())
        document = "delegation" if role == SignedFile.Role.PRINCIPAL else "acceptance"
        pdf = f"{document}-{delegation.file_name_id}.pdf"
        self.stdout.write(
            self.style.SUCCESS(
                gettext("テスト用カード %(label)s（%(name)s）を %(folder)s に作りました。")
                % {"label": label, "name": persona.spec.name, "folder": folder}
            )
        )
        self.stdout.write(gettext("電子委任状のページから %(pdf)s をダウンロードし、次を実行します：") % {"pdf": pdf})
        # The shell command to copy, each argument quoted for the shell (a folder may hold a space).
        sign = [".venv/bin/python", "-m", "delegations.cardsign", pdf, "--module", str(softcard.SOFTHSM_MODULE)]
        sign += ["--token", label, "--trust", str(folder / "test-root.der"), "--crl", str(folder / "test-crl.der")]
        self.stdout.write(f"  SOFTHSM2_CONF={shlex.quote(str(conf))} {shlex.join(sign)}")
        self.stdout.write(
            gettext("カードの署名用パスワードは %(pin)s です。書き出された -signed.pdf をアップロードします。")
            % {"pin": PIN}
        )
