"""Misconfiguration of the registry is a system check (registry.E00x)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register


@register()
def registry_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    if settings.REGISTRY_RETENTION_YEARS < 10:
        errors.append(
            Error(
                "REGISTRY_RETENTION_YEARS is below 10: application records must be kept at least 10 years (§6.2.9).",
                id="registry.E001",
            )
        )
    if settings.REGISTRY_CONTRACT_TERM_MONTHS < 1 or settings.REGISTRY_RENEWAL_REMINDER_DAYS < 0:
        errors.append(
            Error(
                "REGISTRY_CONTRACT_TERM_MONTHS must be at least 1 and REGISTRY_RENEWAL_REMINDER_DAYS not negative.",
                id="registry.E002",
            )
        )
    if not str(settings.NTA_API_URL).startswith("https://") and settings.NTA_APPLICATION_ID and settings.PRODUCTION:
        errors.append(Error("NTA_API_URL must use https in production.", id="registry.E003"))
    return errors
