from __future__ import annotations

import base64
import time
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from kernel import commands


class Command(commands.Command):
    help = _("デモの職員アカウントの現在の TOTP コードを表示します（DEMO_MODE のときだけ）。")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("email", help=gettext("デモの職員のメールアドレス"))

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEMO_MODE or settings.PRODUCTION:
            raise CommandError(gettext("demo_totp は DEMO_MODE が有効なときだけ動き、本番環境では動きません。"))
        device = TOTPDevice.objects.filter(user__email__iexact=options["email"], confirmed=True).first()
        if device is None:
            raise CommandError(gettext("そのアカウントには確認済みの TOTP 装置がありません。"))
        code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift)
        secret = base64.b32encode(device.bin_key).decode().rstrip("=")
        remaining = device.step - int(time.time() - device.t0) % device.step
        self.stdout.write(
            gettext("%(code)s（あと %(seconds)s 秒有効。認証アプリに登録する秘密鍵：%(secret)s）")
            % {"code": f"{code:0{device.digits}d}", "seconds": remaining, "secret": secret}
        )
