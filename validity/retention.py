"""Retention in the validity app (docs/retention.md).

- ``validity.check_result``: the recipients' kept check results, the organisation's copy of a form
  check, removed once its period has passed since the check. The query itself stays in the audit
  log for the log's own period.
- ``validity.recipient_organisation``: a recipient's registration (§5.2) is an application, kept
  like the subscribers' under §6.2.9 — 10 years from the end of the registration (its suspension),
  a rejected one from its receipt — then the personal data in it is erased (§2.8(10)): the
  representative's name, title, address and date of birth, the declarant, and a sole proprietor's
  trade name and business address. The row and its public ID stay, so the audit log resolves.
- ``validity.ended_invitation``: an invitation to join a recipient organisation that was accepted,
  withdrawn or left to expire is no longer needed (§2.8(10)): the audit log keeps who invited which
  address and who joined. It is deleted once its period has passed since it ended; an open one is
  never due."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from mynatrust.operations import retention
from validity.models import CheckResult, RecipientInvitation, RecipientOrganisation


def due(cutoff: datetime) -> QuerySet[CheckResult]:
    return CheckResult.objects.filter(checked_at__lt=cutoff)


def organisations_due(cutoff: datetime) -> QuerySet[RecipientOrganisation]:
    status = RecipientOrganisation.Status
    ended = Q(status=status.SUSPENDED, decided_at__lt=cutoff) | Q(status=status.REJECTED, created_at__lt=cutoff)
    return RecipientOrganisation.objects.filter(ended).exclude(representative_name="")


def anonymise_organisations(rows: QuerySet[RecipientOrganisation]) -> int:
    ids = list(rows.values_list("pk", flat=True))
    RecipientOrganisation.objects.filter(pk__in=ids, kind=RecipientOrganisation.Kind.SOLE_PROPRIETOR).update(
        name="", address=""
    )
    return RecipientOrganisation.objects.filter(pk__in=ids).update(
        representative_title="",
        representative_name="",
        representative_address="",
        representative_date_of_birth=None,
        declarant_name="",
    )


def register() -> None:
    retention.register(
        retention.RecordKind(
            name="validity.check_result",
            label=_("受領者等が保存した有効性確認の結果"),
            due=due,
            identify=lambda kept: kept.public_id,  # type: ignore[attr-defined]
        )
    )
    retention.register(
        retention.RecordKind(
            name="validity.recipient_organisation",
            label=_("受領者等の登録（登録の終了後）"),
            due=organisations_due,
            action=retention.ANONYMISE,
            anonymise=anonymise_organisations,
            identify=lambda organisation: organisation.public_id,  # type: ignore[attr-defined]
        )
    )
    retention.register(
        retention.RecordKind(
            name="validity.ended_invitation",
            label=_("受領者等の担当者の招待（承諾・取消し・期限切れの後）"),
            due=lambda cutoff: RecipientInvitation.objects.ended_before(cutoff),
            identify=lambda invitation: invitation.public_id,  # type: ignore[attr-defined]
        )
    )
