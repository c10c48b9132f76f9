"""The record kinds of the foundation, registered with mynatrust.operations.retention when the project
starts (mynatrust.apps).
Registry, delegations, validity, audit and the public repository register their own (see
docs/retention.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.sessions.models import Session
from django.db.models import ProtectedError, Q, QuerySet, RestrictedError
from django.utils.translation import gettext_lazy as _

from mynatrust.models import User
from mynatrust.operations import retention
from mynatrust.operations.models import LEDGERS, LedgerEntry
from mynatrust.operations.retention import RecordKind


def _ledger_due(model: type[LedgerEntry]) -> Any:
    def due(cutoff: datetime) -> QuerySet[Any]:
        # A chain (an entry and its corrections) goes only when its newest entry is past the period.
        ledger: Any = model.objects
        roots = (
            ledger.filter(corrects__isnull=True, recorded_at__lt=cutoff)
            .exclude(corrections__recorded_at__gte=cutoff)
            .values("pk")
        )
        return ledger.filter(Q(pk__in=roots) | Q(corrects__in=roots))

    return due


def _purge(queryset: QuerySet[Any]) -> int:
    return int(queryset.purge())  # type: ignore[attr-defined]


def _delete_each(queryset: QuerySet[Any]) -> int:
    # Another app may still hold a protected reference to an account; such an account stays.
    deleted = 0
    for obj in queryset:
        try:
            obj.delete()
        except (ProtectedError, RestrictedError):
            continue
        deleted += 1
    return deleted


def register() -> None:
    for kind in _kinds():
        retention.register(kind)


def _kinds() -> list[RecordKind]:
    return [
        *(
            RecordKind(
                name=model.retention_kind,
                label=model._meta.verbose_name_plural,
                due=_ledger_due(model),
                remove=_purge,
            )
            for model in LEDGERS
        ),
        RecordKind(
            name="access.login_log",
            label=_("ログイン記録"),
            due=lambda cutoff: AccessLog.objects.filter(attempt_time__lt=cutoff),
        ),
        RecordKind(
            name="access.login_failures",
            label=_("ログイン失敗の記録"),
            due=lambda cutoff: AccessFailureLog.objects.filter(attempt_time__lt=cutoff),
        ),
        RecordKind(
            name="access.lockout_counters",
            label=_("ロックアウト判定用の失敗回数"),
            due=lambda cutoff: AccessAttempt.objects.filter(attempt_time__lt=cutoff),
        ),
        RecordKind(
            name="sessions.expired",
            label=_("期限切れのセッション"),
            due=lambda cutoff: Session.objects.filter(expire_date__lt=cutoff),
            identify=None,  # session keys are secrets: only the count is recorded
        ),
        RecordKind(
            name="accounts.unconfirmed_signup",
            label=_("メール未確認のまま放置された登録（個人データ）"),
            due=lambda cutoff: User.objects.filter(
                kind__in=[User.Kind.SUBSCRIBER, User.Kind.RECIPIENT],
                email_confirmed_at__isnull=True,
                last_login__isnull=True,
                date_joined__lt=cutoff,
            ),
            remove=_delete_each,
        ),
    ]
