"""Registry evidence as the applicant gave it: a checked PDF, or an online reference number."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

import audit
from registry.models import (
    RegistryEvidence,
    SubscriberFacts,
)
from registry.pdf_check import CheckedPdf
from registry.services.common import RegistryError

if TYPE_CHECKING:
    from mynatrust.models import User


@dataclass(frozen=True)
class EvidenceInput:
    """Registry evidence as the applicant gave it: a checked PDF, or an online reference number."""

    issued_on: date
    pdf: CheckedPdf | None = None
    file_name: str = ""
    online_reference: str = ""


def _check_evidence_date(issued_on: date, today: date) -> None:
    if issued_on > today:
        raise RegistryError(_("発行日が未来の日付です。"), code="evidence_future", field="issued_on")
    if (today - issued_on).days > settings.REGISTRY_EVIDENCE_MAX_AGE_DAYS:
        raise RegistryError(
            _("登記事項証明書は発行から3か月以内のものを提出してください。"),
            code="evidence_too_old",
            field="issued_on",
        )


def _store_evidence(facts: SubscriberFacts, evidence: EvidenceInput | None, *, actor: User) -> RegistryEvidence:
    if evidence is not None:
        _check_evidence_date(evidence.issued_on, timezone.localdate())
    if evidence is not None and evidence.pdf is not None:
        item = RegistryEvidence.objects.create(
            facts=facts,
            kind=RegistryEvidence.Kind.PDF,
            issued_on=evidence.issued_on,
            file_name=evidence.file_name[:255],
            content=evidence.pdf.content,
            size=len(evidence.pdf.content),
            sha256=evidence.pdf.sha256,
            page_count=evidence.pdf.page_count,
            uploaded_by=actor,
        )
    elif evidence is not None and evidence.online_reference:
        item = RegistryEvidence.objects.create(
            facts=facts,
            kind=RegistryEvidence.Kind.ONLINE,
            issued_on=evidence.issued_on,
            online_reference=evidence.online_reference,
            uploaded_by=actor,
        )
    else:
        raise RegistryError(
            _("登記事項証明書のPDFか、登記情報提供サービスの照会番号を提出してください。"),
            code="evidence_missing",
            field="evidence_file",
        )
    audit.record(
        "registry.evidence.uploaded",
        actor=actor,
        subject=item,
        subscriber=facts.subscriber.public_id,
        version=facts.version,
        kind=item.kind,
        sha256=item.sha256,
        size=item.size,
    )
    return item
