"""Misconfiguration of the registry is a system check (registry.E00x), said in the language active when
it runs (Japanese for the operator, like every command)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register
from django.utils.translation import gettext


@register()
def registry_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    if settings.REGISTRY_RETENTION_YEARS < 10:
        errors.append(
            Error(
                gettext(
                    "REGISTRY_RETENTION_YEARS が 10 未満です（現在は %(years)s）。"
                    "申込みの記録は 10 年以上保存しなければなりません（§6.2.9）。"
                )
                % {"years": settings.REGISTRY_RETENTION_YEARS},
                hint=gettext("REGISTRY_RETENTION_YEARS を 10 以上にしてください（既定値は 10）。"),
                id="registry.E001",
            )
        )
    if settings.REGISTRY_CONTRACT_TERM_MONTHS < 1 or settings.REGISTRY_RENEWAL_REMINDER_DAYS < 0:
        errors.append(
            Error(
                gettext(
                    "REGISTRY_CONTRACT_TERM_MONTHS は 1 以上、REGISTRY_RENEWAL_REMINDER_DAYS は 0 以上にしてください"
                    "（現在はそれぞれ %(months)s と %(days)s）。"
                )
                % {"months": settings.REGISTRY_CONTRACT_TERM_MONTHS, "days": settings.REGISTRY_RENEWAL_REMINDER_DAYS},
                id="registry.E002",
            )
        )
    if not str(settings.NTA_API_URL).startswith("https://") and settings.NTA_APPLICATION_ID and settings.PRODUCTION:
        errors.append(
            Error(
                gettext(
                    "本番環境で法人番号システム Web-API を使うときは、NTA_API_URL に https の URL を指定してください"
                    "（現在は %(url)s）。"
                )
                % {"url": repr(str(settings.NTA_API_URL))},
                id="registry.E003",
            )
        )
    return errors
