"""Retention in the registry (docs/retention.md).

- ``registry.application``: application records (§6.2.9) are kept 10 years from the end of the
  contract (its termination, or its expiry when it lapsed without renewal), and an application that
  never became a contract (rejected) 10 years from its receipt; then the personal data in them is
  anonymised and the registry evidence files are emptied. The subscriber row, its public ID and the
  digests stay, so stored delegations and the audit log still resolve.
- ``registry.ended_invitation``: an invitation to join a subscriber that was accepted, withdrawn or
  left to expire is no longer needed (§2.8(10)): the audit log keeps who invited which address and
  who joined. It is deleted once its period has passed since it ended; an open one is never due."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mynatrust.operations import retention
from registry.models import Invitation, RegistryEvidence, StagedEvidence, Subscriber, SubscriberFacts


def due(cutoff: datetime) -> QuerySet[SubscriberFacts]:
    day = timezone.localdate(cutoff)
    status = Subscriber.Status
    ended = Subscriber.objects.filter(
        # Terminated: from the termination day.
        Q(status=status.TERMINATED, terminated_on__lt=day)
        # Lapsed: a contract not terminated whose end passed without renewal, from its end.
        | (~Q(status__in=[status.TERMINATED, status.REJECTED]) & Q(contract_end__lt=day))
        # Never a contract: from the day the application was received.
        | Q(status=status.REJECTED, applied_at__lt=cutoff)
    )
    return SubscriberFacts.objects.filter(subscriber__in=ended).exclude(representative_name="")


def anonymise(facts: QuerySet[SubscriberFacts]) -> int:
    with transaction.atomic():
        ids = list(facts.values_list("pk", flat=True))
        RegistryEvidence.objects.filter(facts_id__in=ids).update(content=b"", file_name="")
        return SubscriberFacts.objects.filter(pk__in=ids).update(
            representative_name="",
            representative_address="",
            representative_phone="",
            representative_birth_date=None,
            registered_representative_name="",
            registered_representative_address="",
        )


def register() -> None:
    retention.register(
        retention.RecordKind(
            name="registry.application",
            label=_("利用申込・変更届の記録（契約終了後）"),
            due=due,
            action=retention.ANONYMISE,
            anonymise=anonymise,
            identify=lambda facts: f"{facts.subscriber.public_id}/v{facts.version}",  # type: ignore[attr-defined]
        )
    )
    retention.register(
        retention.RecordKind(
            name="registry.staged_evidence",
            label=_("確認待ちの提出ファイル（確認の期限切れ後）"),
            due=lambda cutoff: StagedEvidence.objects.filter(expires_at__lt=cutoff),
            identify=None,  # held under a token that submits the application: only the count is recorded
        )
    )
    retention.register(
        retention.RecordKind(
            name="registry.ended_invitation",
            label=_("担当者の招待（承諾・取消し・期限切れの後）"),
            due=lambda cutoff: Invitation.objects.ended_before(cutoff),
            identify=lambda invitation: invitation.public_id,  # type: ignore[attr-defined]
        )
    )
