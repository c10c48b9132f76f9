"""Acting for a staff member from the command line.

A command that changes trust data on behalf of a staff member (``trust``, ``crl import --as``)
asks that member to prove who they are with the current code of their authenticator (the TOTP
device they use for the admin): typed without echo, or for scripts taken from the environment
variable ``MYNATRUST_OTP_CODE``. A code is accepted once (django-otp refuses a replay and throttles
failures), a wrong code is an audit event, and every event the command records carries its entry
point: ``cli``, the host, the operating-system user and the command (``entry_point``, from
:mod:`audit.commandline`). The service then checks the member's role itself, as it does for the
admin.
"""

from __future__ import annotations

import getpass
import os
from typing import Any

from django.core.management.base import CommandError
from django.utils.translation import gettext

import audit
from audit.commandline import entry_point as entry_point  # the commands that act for staff bind it

CODE_VARIABLE = "MYNATRUST_OTP_CODE"


def add_actor_argument(parser: Any) -> None:
    """``--as EMAIL``: the staff member a command acts for (verified by :func:`verified_staff`)."""
    parser.add_argument(
        "--as",
        dest="actor",
        required=True,
        help=gettext("あなたの職員メールアドレス（認証アプリの現在のコードを尋ねます。$%(variable)s からも読みます）")
        % {"variable": CODE_VARIABLE},
    )


def _read_code(email: str) -> str:
    code = os.environ.get(CODE_VARIABLE, "")
    if not code:
        try:
            code = getpass.getpass(gettext("%(email)s の認証アプリの現在のコード：") % {"email": email})
        except EOFError:
            code = ""
    return code.strip()


def verified_staff(email: str, *, command: str) -> Any:
    """The active staff account ``email`` once its holder gave a current code of their TOTP device;
    CommandError (and an audit event) otherwise. Call inside :func:`entry_point`."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from mynatrust.models import User

    user = User.objects.filter(email__iexact=email.strip(), is_staff=True, is_active=True).first()
    if user is None:
        audit.record_refused("auth.cli_refused", actor=audit.ANONYMOUS, reason="no_such_staff", command=command)
        raise CommandError(gettext("有効な職員 %(email)s はいません。") % {"email": email})
    devices = list(TOTPDevice.objects.filter(user=user, confirmed=True))
    if not devices:
        audit.record_refused("auth.cli_refused", actor=user, reason="no_totp_device", command=command)
        raise CommandError(
            gettext(
                "%(email)s には認証アプリ（TOTP）が登録されていません。管理画面で登録するか、管理画面で操作してください。"
            )
            % {"email": email}
        )
    code = _read_code(email)
    if not code or not any(device.verify_token(code) for device in devices):
        audit.record_refused("auth.cli_refused", actor=user, reason="bad_code", command=command)
        raise CommandError(
            gettext("%(email)s の認証アプリのコードが違うか、使用済みか、失敗が多すぎます。") % {"email": email}
        )
    audit.record("auth.cli_verified", actor=user, command=command)
    return user
