"""System checks of the validity app (IDs validity.E0xx)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, register

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
                f"No usable key to sign validity answers: {exc}.",
                hint="Set VALIDITY_SIGNING_KEY_FILE to a P-256 private key in PEM (manage.py validity_signing_key).",
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
            errors.append(Error(f"{name} must be '<count>/<seconds>'.", id="validity.E002"))
    return errors
