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
from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import module_has_submodule
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

import audit
from kernel import commands
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


class Command(commands.Command):
    help = _("デモのアカウントとデータを作ります（作り直します）。DEMO_MODE が有効でなければ拒否します。")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEMO_MODE or settings.PRODUCTION:
            raise CommandError(gettext("demo_setup は DEMO_MODE が有効なときだけ動き、本番環境では動きません。"))
        from audit.demo import make_key

        make_key()
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
        self.stdout.write(
            gettext("  メールの送信待ち：%(count)s 通を送りました（本番環境では send_mail_outbox --loop が送ります）")
            % {"count": sent.sent}
        )
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
        login = gettext("  %(who)s: %(url)s  %(email)s")
        out.write("")
        out.write(
            self.style.MIGRATE_HEADING(
                gettext("デモのログイン（パスワードはすべて %(password)s）") % {"password": DEMO_PASSWORD}
            )
        )
        for who, url, local in (
            (gettext("利用者の構成員"), f"{base}/app/login/", "subscriber"),
            (gettext("利用申込みをした人"), f"{base}/app/login/", "applicant"),
            (gettext("受領者"), f"{base}/recipient/login/", "recipient"),
        ):
            out.write(login % {"who": who, "url": url, "email": demo_email(local)})
        for role, local, _name in STAFF:
            out.write(login % {"who": role.label, "url": admin, "email": demo_email(local)})
        out.write(
            gettext(
                "  職員には2つ目の要素が要ります：このフォルダで `.venv/bin/python manage.py demo_totp EMAIL` を"
                "実行すると現在のコードを表示します。表示される秘密鍵を認証アプリに登録することもできます。"
            )
        )
        out.write("")
        out.write(self.style.MIGRATE_HEADING(gettext("ここから始めます")))
        out.write(
            gettext(
                "  1. %(url)s を開いて %(email)s でログインし、「電子委任状」を押すと、有効な電子委任状と下書きが"
                "表示されます。下書きを開いて確定し、テスト用カード（ページのボタン）で署名して、署名済みのファイルを"
                "アップロードします。"
            )
            % {"url": f"{base}/app/login/", "email": demo_email("subscriber")}
        )
        out.write(
            gettext(
                "  2. %(url)s を %(email)s で開き、「電子委任状の有効性を確認する」を押して、有効な電子委任状の ID"
                "（上に表示）を入力すると、受領者が受け取る回答が表示されます。"
            )
            % {"url": f"{base}/recipient/login/", "email": demo_email("recipient")}
        )
        out.write(
            gettext(
                "  3. %(url)s を %(reception)s（コードは demo_totp から）で開くと審査待ちの申込みを審査でき、"
                "%(auditor)s で開くと監査ログを検証して書き出せます。"
            )
            % {"url": admin, "reception": demo_email("reception"), "auditor": demo_email("auditor")}
        )
        out.write(
            gettext("  公開サイト（利用規約、お知らせ、API の説明）は %(url)s にあります。") % {"url": f"{base}/"}
        )
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
