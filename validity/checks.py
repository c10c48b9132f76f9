"""System checks of the validity app (IDs validity.E0xx), said in the language active when they run
(Japanese for the operator, like every command)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, register
from django.utils.translation import gettext

from mynatrust.ratelimit import malformed_setting
from validity import ratelimit, signing


@register()
def signing_key(app_configs: Any, **kwargs: Any) -> list[Error]:
    if not settings.PRODUCTION:
        return []
    try:
        signing.current_key()
    except signing.SigningKeyError as exc:
        return [
            Error(
                gettext("有効性回答に署名できる鍵がありません：%(problem)s") % {"problem": exc},
                hint=gettext(
                    "VALIDITY_SIGNING_KEY_FILE に PEM の P-256 秘密鍵のファイルを指定してください"
                    "（manage.py validity_signing_key create で作れます）。"
                ),
                id="validity.E001",
            )
        ]
    return []


@register()
def rates(app_configs: Any, **kwargs: Any) -> list[Error]:
    errors = []
    for name in (
        "VALIDITY_RATE_PER_KEY",
        "VALIDITY_RATE_PER_IP",
        "VALIDITY_RATE_FORM",
        "VALIDITY_RATE_ANONYMOUS",
        "VALIDITY_UNKNOWN_LIMIT",
    ):
        try:
            ratelimit.Rate.parse(getattr(settings, name))
        except ValueError:
            errors.append(Error(malformed_setting(name), id="validity.E002"))
    return errors
