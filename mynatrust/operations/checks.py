"""System checks for the operations settings (IDs mynatrust.E1xx / W1xx)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register

from mynatrust.operations.retention import Period


@register(Tags.compatibility)
def retention_periods(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    problems: list[CheckMessage] = []
    for kind, text in getattr(settings, "RETENTION_PERIODS", {}).items():
        try:
            Period.parse(text)
        except ValueError:
            problems.append(
                Error(
                    f"RETENTION_PERIODS[{kind!r}] = {text!r} is not a period.",
                    hint='Use a number followed by y, m or d: "10y", "6m", "30d".',
                    id="mynatrust.E101",
                )
            )
    return problems


@register(Tags.security, deploy=True)
def metrics_token(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    token = getattr(settings, "METRICS_TOKEN", "")
    if token and len(token) < 24:
        return [
            Warning(
                "METRICS_TOKEN is short enough to guess.",
                hint="Use at least 24 random characters, or leave it empty (maintenance role sign-in only).",
                id="mynatrust.W101",
            )
        ]
    return []
