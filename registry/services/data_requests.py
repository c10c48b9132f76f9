"""Requests about personal data (§2.8(6)(7)), handled by reception, and views of evidence."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

import audit
from kernel import Actor, service
from registry.models import (
    DataRequest,
    RegistryEvidence,
    Subscriber,
)
from registry.services.common import RegistryError

if TYPE_CHECKING:
    from mynatrust.models import User


@service("registry.data_request.record")
def record_data_request(
    *,
    actor: Actor,
    kind: str,
    requester: str,
    details: str,
    subscriber: Subscriber | None = None,
    received_on: date | None = None,
) -> DataRequest:
    """Record a request as reception received it; ``received_on`` is the day it arrived (a letter
    is often entered days later), today when not given."""
    received_on = received_on or timezone.localdate()
    item = DataRequest.objects.create(
        subscriber=subscriber, kind=kind, requester=requester, details=details, received_on=received_on
    )
    audit.record(
        "registry.data_request.received", actor=actor, subject=item, kind=kind, received_on=received_on.isoformat()
    )
    return item


@service("registry.data_request.close")
def close_data_request(item: DataRequest, *, actor: User, state: str, response: str) -> DataRequest:
    if not response.strip():
        raise RegistryError(_("対応内容を入力してください。"), code="reason_missing")
    item = DataRequest.objects.select_for_update().get(pk=item.pk)
    if item.state != DataRequest.State.OPEN:
        raise RegistryError(_("この請求は既に完了しています。"), code="wrong_state")
    if state not in (DataRequest.State.DONE, DataRequest.State.DECLINED):
        raise RegistryError(_("対応結果を選んでください。"), code="invalid")
    item.state = state
    item.response = response
    item.handled_by = actor
    item.closed_at = timezone.now()
    item.save()
    audit.record("registry.data_request.closed", actor=actor, subject=item, state=state)
    return item


def record_evidence_viewed(evidence: RegistryEvidence, *, actor: Actor, page: int | None = None) -> None:
    """Reception opened an uploaded certificate (or one page of it as an image): an access to
    personal data, so an audit event."""
    extra = {} if page is None else {"page": page}
    audit.record(
        "registry.evidence.viewed",
        actor=actor,
        subject=evidence,
        subscriber=evidence.facts.subscriber.public_id,
        **extra,
    )
