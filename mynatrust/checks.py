"""System checks for misconfiguration (IDs mynatrust.E0xx / W0xx)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, register

from mynatrust.db import is_postgresql


@register(Tags.security, deploy=True)
def production_safeguards(app_configs: Any, **kwargs: Any) -> list[Error]:
    errors: list[Error] = []
    if settings.DEMO_MODE and settings.PRODUCTION:
        errors.append(Error("DEMO_MODE is on in production.", id="mynatrust.E001"))
    if settings.PRODUCTION and not is_postgresql(settings.DATABASES["default"]):
        errors.append(Error("Production must run on PostgreSQL (DATABASE_URL=postgres://…).", id="mynatrust.E002"))
    return errors
