"""System checks for the operations settings (IDs mynatrust.E1xx / W1xx), said in the language active
when they run (Japanese for the operator, like every command)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.utils.translation import gettext

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
                    gettext("RETENTION_PERIODS[%(kind)s] = %(text)s は期間として読めません。")
                    % {"kind": repr(kind), "text": repr(text)},
                    hint=gettext("数字の後に y、m、d のどれかを付けてください（例：10y、6m、30d）。"),
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
                gettext("METRICS_TOKEN が推測できるほど短いです。"),
                hint=gettext(
                    "METRICS_TOKEN は 24 文字以上のランダムな文字列にするか、空にしてください"
                    "（空のときは、保守員としてサインインした人だけが /metrics を読めます）。"
                ),
                id="mynatrust.W101",
            )
        ]
    return []
