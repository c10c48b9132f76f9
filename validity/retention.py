"""Retention of the recipients' kept check results (RETENTION_PERIODS["validity.check_result"],
docs/retention.md): the organisation's copy of a form check, removed once its period has passed
since the check. The query itself stays in the audit log for the log's own period."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from mynatrust.operations import retention
from validity.models import CheckResult


def due(cutoff: datetime) -> QuerySet[CheckResult]:
    return CheckResult.objects.filter(checked_at__lt=cutoff)


def register() -> None:
    retention.register(
        retention.RecordKind(
            name="validity.check_result",
            label=_("受領者等が保存した有効性確認の結果"),
            due=due,
            identify=lambda kept: kept.public_id,  # type: ignore[attr-defined]
        )
    )
