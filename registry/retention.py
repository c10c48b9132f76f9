"""Retention of application records (§6.2.9): kept 10 years after the contract ends, then the
personal data in them is anonymised and the registry evidence files are emptied. The subscriber row,
its public ID and the digests stay, so stored delegations and the audit log still resolve."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mynatrust.operations import retention
from registry.models import RegistryEvidence, Subscriber, SubscriberFacts


def due(cutoff: datetime) -> QuerySet[SubscriberFacts]:
    ended = Subscriber.objects.filter(status=Subscriber.Status.TERMINATED, terminated_on__lt=timezone.localdate(cutoff))
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
