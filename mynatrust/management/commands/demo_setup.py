from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
from importlib import import_module
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import module_has_submodule
from django_otp.plugins.otp_totp.models import TOTPDevice

import audit
from mynatrust.models import User
from mynatrust.roles import Role

DEMO_PASSWORD = "MynaTrust-demo-2026"  # noqa: S105  (demo accounts only)
DEMO_DOMAIN = "demo.mynatrust.example.jp"

# Staff personas; their TOTP keys come from demo_totp_key, so `manage.py demo_totp EMAIL` prints a code.
STAFF = [
    (Role.SERVICE_MANAGER, "manager", "管理 責任子"),
    (Role.SERVICE_ADMINISTRATOR, "admin", "管理 者太郎"),
    (Role.SERVICE_OPERATOR, "operator", "運用 者花子"),
    (Role.RECEPTION, "reception", "受付 担当一"),
    (Role.AUDITOR, "auditor", "監査 人二郎"),
    (Role.MAINTENANCE, "maintenance", "保守 担当三"),
]


def demo_email(local: str) -> str:
    return f"{local}@{DEMO_DOMAIN}"


class Command(BaseCommand):
    help = "Create (or refresh) the demo accounts and data. Refused unless DEMO_MODE is on."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEMO_MODE or settings.PRODUCTION:
            raise CommandError("demo_setup runs only with DEMO_MODE on and never in production.")
        with transaction.atomic():
            created = self._accounts()
        if created:
            audit.record("demo.setup", actor=audit.SYSTEM, accounts=created)
        # Each app adds its own demo data from an optional ``<app>/demo.py`` with ``setup(command)``,
        # idempotent, in INSTALLED_APPS order (so registry data exists before delegations).
        for config in apps.get_app_configs():
            if module_has_submodule(config.module, "demo"):
                import_module(f"{config.name}.demo").setup(self)
        # The mails the demo's decisions queued go out now, as the outbox worker would send them.
        from mynatrust.outbox.services import run_once

        sent = run_once()
        self.stdout.write(f"  mail outbox: {sent.sent} message(s) sent (in production: send_mail_outbox --loop)")
        self._print_logins()

    def _user(self, email: str, kind: str, name: str) -> tuple[User, bool]:
        user = User.objects.filter(email=email).first()
        if user is not None:
            return user, False
        user = User.objects.create_user(
            email,
            DEMO_PASSWORD,
            kind=kind,
            display_name=name,
            is_staff=kind == User.Kind.STAFF,
            email_confirmed_at=timezone.now(),
        )
        return user, True

    def _accounts(self) -> int:
        created = 0
        for local, kind, name in (
            ("subscriber", User.Kind.SUBSCRIBER, "山田 太郎"),
            ("recipient", User.Kind.RECIPIENT, "鈴木 花子"),
        ):
            _user, new = self._user(demo_email(local), kind, name)
            created += new
        for role, local, name in STAFF:
            user, new = self._user(demo_email(local), User.Kind.STAFF, name)
            if new:
                user.groups.set([Group.objects.get(name=role.value)])
                TOTPDevice.objects.create(user=user, name="demo", confirmed=True, key=demo_totp_key(user.email))
                created += 1
        return created

    def _print_logins(self) -> None:
        out = self.stdout
        base = settings.SERVICE_BASE_URL.rstrip("/")
        admin = f"{base}/{settings.ADMIN_PATH}"
        out.write("")
        out.write(self.style.MIGRATE_HEADING(f"Demo logins (password for all: {DEMO_PASSWORD})"))
        out.write(f"  subscriber staff  {base}/app/login/        {demo_email('subscriber')}")
        out.write(f"  applicant         {base}/app/login/        {demo_email('applicant')}")
        out.write(f"  recipient         {base}/recipient/login/  {demo_email('recipient')}")
        for role, local, _name in STAFF:
            out.write(f"  {role.value:<22} {admin:<40} {demo_email(local)}")
        out.write("  Staff need a second factor: `.venv/bin/python manage.py demo_totp EMAIL` (from this folder)")
        out.write("  prints the current code, or add the secret it shows to an authenticator app.")
        out.write("")
        out.write(self.style.MIGRATE_HEADING("Start here"))
        out.write(f"  1. Open {base}/app/login/ and sign in as {demo_email('subscriber')}: click 電子委任状")
        out.write("     to see the active delegation and a draft; open the draft, finalise it, sign it with the")
        out.write("     test card (a button on the page) and upload the signed files.")
        out.write(
            f"  2. Open {base}/recipient/login/ as {demo_email('recipient')}: click 電子委任状の有効性を確認する and"
        )
        out.write("     type the active delegation's ID (printed above) to see the answer a recipient gets.")
        out.write(f"  3. Open {admin} as {demo_email('reception')} (code from demo_totp) to review the")
        out.write(f"     waiting application, or as {demo_email('auditor')} to verify and export the audit log.")
        out.write("  The public site (terms, notices, the API documentation) is at " + f"{base}/ .")
        out.write("")


def demo_totp_key(email: str, seed_file: Path | None = None) -> str:
    """A 20-byte TOTP key (hex) for a demo persona, derived from a random seed kept in var/ (made on
    first use, readable by its owner only): no two installations share their demo staff's second
    factor, and nobody can compute it from the source code."""
    path = seed_file or Path(settings.BASE_DIR) / "var" / "demo-totp-seed"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32))
        # Published whole, and never over a seed another process published first.
        with contextlib.suppress(FileExistsError):
            os.link(draft, path)
        draft.unlink()
    seed = bytes.fromhex(path.read_text().strip())
    return hmac.new(seed, email.encode(), hashlib.sha256).hexdigest()[:40]
