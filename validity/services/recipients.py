"""Recipient registration (§5.2) and reception's decisions on it, each with its mail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

import audit
from kernel import Actor, service
from mynatrust.outbox.services import notify_after_commit
from mynatrust.repository.services import record_privacy_notice
from registry import reception
from validity import auth
from validity.answer import ValidityError
from validity.models import RecipientMember, RecipientOrganisation
from validity.services.common import Org, _refuse

if TYPE_CHECKING:
    from mynatrust.models import User


@dataclass(frozen=True, kw_only=True)
class RecipientDetails:
    kind: str
    name: str
    address: str
    representative_title: str
    representative_name: str
    representative_address: str
    representative_date_of_birth: date | None
    declarant_name: str


@service("validity.recipient.registered")
def register_recipient(user: Any, details: RecipientDetails, *, actor: Actor) -> RecipientOrganisation:
    if getattr(user, "kind", None) != "recipient":
        raise _refuse("not_a_recipient", "受領者等のアカウントではありません。", "This is not a recipient account.")
    if RecipientMember.objects.filter(user=user).exists():
        raise _refuse("already_registered", "既に登録を申請しています。", "This account has already registered.")
    if details.kind == Org.Kind.SOLE_PROPRIETOR and details.representative_date_of_birth is None:
        raise ValidityError(
            "date_of_birth_required",
            400,
            "個人事業主は生年月日を入力してください。",
            "A sole proprietor must give a date of birth.",
        )
    approve_now = not settings.VALIDITY_RECIPIENT_APPROVAL_REQUIRED
    organisation = Org.objects.create(
        kind=details.kind,
        name=details.name,
        address=details.address,
        representative_title=details.representative_title,
        representative_name=details.representative_name,
        representative_address=details.representative_address,
        representative_date_of_birth=details.representative_date_of_birth
        if details.kind == Org.Kind.SOLE_PROPRIETOR
        else None,
        declarant_name=details.declarant_name,
        status=Org.Status.APPROVED if approve_now else Org.Status.PENDING,
        decided_at=timezone.now() if approve_now else None,
        reception_number=reception.next_number(reception.RECIPIENT),
    )
    RecipientMember.objects.create(organisation=organisation, user=user, role=RecipientMember.Role.APPLICANT)
    # The privacy notice shown on the registration form (§2.8(2)): the version is recorded.
    record_privacy_notice(user, actor=actor)
    audit.record(
        "validity.recipient.registered",
        actor=actor,
        subject=organisation,
        name=organisation.name,
        kind=organisation.kind,
        status=organisation.status,
        approval_required=not approve_now,
        reception_number=organisation.reception_number,
    )
    return organisation


def _transition(
    organisation: RecipientOrganisation,
    event: str,
    allowed_from: set[str],
    to: str,
    *,
    actor: Actor,
    reason: str = "",
) -> RecipientOrganisation:
    # Lock the row: two reception staff acting at once see each other's decision.
    current = Org.objects.select_for_update().get(pk=organisation.pk)
    if current.status not in allowed_from:
        raise _refuse(
            "invalid_transition",
            f"現在の状態（{current.get_status_display()}）からは変更できません。",
            f"Not possible from the current status ({current.status}).",
        )
    previous = current.status
    current.status = to
    current.status_reason = reason[:500]
    current.decided_at = timezone.now()
    current.decided_by = actor if isinstance(actor, get_user_model()) else None
    current.save(update_fields=["status", "status_reason", "decided_at", "decided_by"])
    audit.record(event, actor=actor, subject=current, name=current.name, previous=previous, status=to, reason=reason)
    prefixes = list(current.api_keys.values_list("prefix", flat=True))
    # This process drops the rows it kept, now and after the commit (it may read the old row again
    # in between); other workers find the change in the answer's own statement (auth.KeyGuard).
    auth.forget(prefixes)
    transaction.on_commit(lambda: auth.forget(prefixes))
    _mail_on_commit(current, reason)
    organisation.refresh_from_db()
    return current


def _mail_on_commit(organisation: RecipientOrganisation, reason: str) -> None:
    """Tell the organisation's accounts about a decision through the durable outbox: sent as soon as
    it commits, retried if the mail server refuses it (the mail has no secret link)."""
    addresses = list(organisation.members.values_list("user__email", flat=True))
    if not addresses:
        return
    context = {
        "organisation": organisation.name,
        "status": organisation.get_status_display(),
        "approved": organisation.is_approved,
        "reason": reason,
        "link": settings.SERVICE_BASE_URL.rstrip("/") + reverse("validity:home"),
    }
    subject = f"【{settings.SERVICE_NAME}】" + gettext("受領者等の登録について")
    body = render_to_string("validity/email/decision.txt", context)
    notify_after_commit(subject, body, addresses, about=organisation)


@service("validity.recipient.approved")
def approve_recipient(organisation: RecipientOrganisation, *, actor: Actor, reason: str = "") -> RecipientOrganisation:
    return _transition(
        organisation,
        "validity.recipient.approved",
        {Org.Status.PENDING, Org.Status.SUSPENDED},
        Org.Status.APPROVED,
        actor=actor,
        reason=reason,
    )


@service("validity.recipient.suspended")
def suspend_recipient(organisation: RecipientOrganisation, *, actor: User, reason: str = "") -> RecipientOrganisation:
    return _transition(
        organisation,
        "validity.recipient.suspended",
        {Org.Status.APPROVED},
        Org.Status.SUSPENDED,
        actor=actor,
        reason=reason,
    )


@service("validity.recipient.rejected")
def reject_recipient(organisation: RecipientOrganisation, *, actor: User, reason: str = "") -> RecipientOrganisation:
    return _transition(
        organisation,
        "validity.recipient.rejected",
        {Org.Status.PENDING},
        Org.Status.REJECTED,
        actor=actor,
        reason=reason,
    )
