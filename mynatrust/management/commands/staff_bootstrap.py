from __future__ import annotations

import getpass
import sys
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kernel import commands
from mynatrust.staff import StaffError, bootstrap_service_manager


class Command(commands.Command):
    help = _(
        "新しい設置環境の最初のサービス責任者を任命します。有効なサービス責任者がいると拒否し、"
        "それ以後の任命は管理画面で行います。"
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("email", help=gettext("任命する職員のメールアドレス"))
        parser.add_argument("--display-name", default="", help=gettext("表示名"))
        parser.add_argument("--password-stdin", action="store_true", help=gettext("パスワードを標準入力から読む"))

    def handle(self, *args: Any, **options: Any) -> None:
        if options["password_stdin"]:
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = getpass.getpass(gettext("パスワード："))
            if password != getpass.getpass(gettext("パスワード（確認）：")):
                raise CommandError(gettext("2つのパスワードが一致しません。"))
        try:
            validate_password(password)
        except ValidationError as err:
            raise CommandError(" ".join(err.messages)) from err
        try:
            user, link = bootstrap_service_manager(options["email"], password, display_name=options["display_name"])
        except StaffError as err:
            raise CommandError(err.message) from err
        self.stdout.write(
            self.style.SUCCESS(
                gettext(
                    "%(email)s をサービス責任者に任命しました。この1回限りのリンクを開き、パスワードを確認して"
                    "認証アプリを登録してください（有効期間 %(hours)s 時間）：\n%(link)s"
                )
                % {"email": user.email, "hours": settings.STAFF_INVITATION_HOURS, "link": link}
            )
        )
