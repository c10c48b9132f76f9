from __future__ import annotations

import base64
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice


class Command(BaseCommand):
    help = "Print the current TOTP code of a demo staff account (DEMO_MODE only)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("email")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEMO_MODE or settings.PRODUCTION:
            raise CommandError("demo_totp runs only with DEMO_MODE on and never in production.")
        device = TOTPDevice.objects.filter(user__email__iexact=options["email"], confirmed=True).first()
        if device is None:
            raise CommandError("No confirmed TOTP device for that account.")
        code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift)
        secret = base64.b32encode(device.bin_key).decode().rstrip("=")
        remaining = device.step - int(time.time() - device.t0) % device.step
        self.stdout.write(f"{code:0{device.digits}d}  (valid for {remaining}s; secret for an app: {secret})")
