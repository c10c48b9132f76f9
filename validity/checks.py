"""System checks of the validity app (IDs validity.E0xx), said in the language active when they run
(Japanese for the operator, like every command)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.checks import Error, register
from django.utils import timezone
from django.utils.translation import gettext

from mynatrust.operations.retention import Period
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


@register()
def end_notice_count_kept(app_configs: Any, **kwargs: Any) -> list[Error]:
    """The limit of end notices (validity/notices.py) counts the mails in the outbox over its window:
    the outbox's retention period must not delete one before the window has passed."""
    text = settings.RETENTION_PERIODS.get("mail.outbox")
    try:
        period, window = Period.parse(text), ratelimit.Rate.parse(settings.VALIDITY_END_NOTICE_RATE).seconds
    except (TypeError, ValueError):  # no period, or malformed: mynatrust.E101 / the rate's own check
        return []
    now = timezone.now()
    if period.before(now) > now - timedelta(seconds=window):
        return [
            Error(
                gettext(
                    "RETENTION_PERIODS['mail.outbox'] = %(text)s は VALIDITY_END_NOTICE_RATE の期間（%(seconds)s 秒）"
                    "より短く、終了のお知らせの上限を数えるメールを先に削除してしまいます。"
                )
                % {"text": repr(text), "seconds": window},
                hint=gettext(
                    "mail.outbox の保存期間を VALIDITY_END_NOTICE_RATE の秒数以上にしてください（既定は 90d）。"
                ),
                id="validity.E003",
            )
        ]
    return []
