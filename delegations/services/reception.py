"""Activation once every signature is in, and reception's confirmations, checks and rejections."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

import audit
from delegations.document.content import (
    Qualification,
)
from delegations.models import Delegation, QualificationCheck
from delegations.services.common import DelegationError, _lock, _require_status
from delegations.services.notices import _notify
from delegations.signals import delegation_ended
from delegations.standing import today_in_japan
from kernel import Actor, service
from mynatrust.lib.identifiers import with_identifiers
from registry.matching import Verdict

if TYPE_CHECKING:
    from mynatrust.models import User


def waiting_for(delegation: Delegation, verdicts: list[str] | None = None) -> list[str]:
    """What still stands between a submitted delegation and activation (reception's to-do)."""
    waiting = []
    if verdicts is None:
        verdicts = [f.match_verdict for f in delegation.signed_files.all()]
    if Verdict.MATCH_WITH_SUBSTITUTES in verdicts and delegation.identity_confirmed_at is None:
        waiting.append("identity")
    if delegation.needs_qualification_check:
        check = QualificationCheck.objects.filter(delegation=delegation).first()
        if check is None or check.result != QualificationCheck.Result.CONFIRMED:
            waiting.append("qualification")
    return waiting


def _activate_if_ready(delegation: Delegation, *, actor: Actor, verdicts: list[str] | None = None) -> bool:
    """Activate a locked, submitted delegation once nothing is waiting; supersede its predecessor."""
    if delegation.status != Delegation.Status.SUBMITTED or waiting_for(delegation, verdicts):
        return False
    now = timezone.now()
    predecessor = None
    if delegation.replaces_id:
        predecessor = Delegation.objects.select_for_update().get(pk=delegation.replaces_id)
        if predecessor.status != Delegation.Status.ACTIVE:
            raise DelegationError(
                with_identifiers(
                    _("変更元の電子委任状（{id}）は既に「{status}」のため、この変更は有効にできません。"),
                    ids={"id": predecessor.delegation_id},
                    status=predecessor.get_status_display(),
                ),
                code="predecessor_not_active",
            )
    delegation.status = Delegation.Status.ACTIVE
    delegation.activated_at = now
    # §4.3: the first periodic confirmation falls due one interval after registration.
    delegation.confirmation_due_on = today_in_japan(now) + timedelta(
        days=settings.DELEGATION_CONFIRMATION_INTERVAL_DAYS
    )
    delegation.save(
        update_fields=[
            "status",
            "activated_at",
            "confirmation_due_on",
            "submitted_at",
            "reception_number",
            "updated_at",
        ]
    )
    if predecessor is not None:
        # §4.2: the old ID is retired for good, in the same transaction as the new one starts.
        predecessor.status = Delegation.Status.SUPERSEDED
        predecessor.superseded_by = delegation
        predecessor.superseded_at = now
        predecessor.save(update_fields=["status", "superseded_by", "superseded_at", "updated_at"])
        audit.record(
            "delegations.delegation.superseded", actor=actor, subject=predecessor, successor=delegation.delegation_id
        )
        delegation_ended.send(Delegation, delegation=predecessor, status=Delegation.Status.SUPERSEDED)
    audit.record("delegations.delegation.activated", actor=actor, subject=delegation)
    _notify(delegation, "activated", predecessor=predecessor.delegation_id if predecessor else "")
    return True


@service("delegations.delegation.confirm_identity")
def confirm_identity(delegation: Delegation, *, actor: User, note: str = "") -> Delegation:
    """Reception confirms a match that differs only at substitute characters (§4.1.5)."""
    delegation = _lock(delegation)
    _require_status(delegation, Delegation.Status.SUBMITTED)
    if "identity" not in waiting_for(delegation):
        raise DelegationError(_("代替文字の確認が必要な署名はありません。"), code="nothing_to_confirm")
    delegation.identity_confirmed_by = actor
    delegation.identity_confirmed_at = timezone.now()
    delegation.save(update_fields=["identity_confirmed_by", "identity_confirmed_at", "updated_at"])
    audit.record("delegations.delegation.identity_confirmed", actor=actor, subject=delegation, note=note)
    _activate_if_ready(delegation, actor=actor)
    return delegation


@service("delegations.delegation.qualification_check")
def record_qualification_check(
    delegation: Delegation,
    *,
    actor: User,
    channel: str,
    method: str,
    checked_on: date,
    contact_person: str,
    result: str,
    note: str = "",
) -> QualificationCheck:
    """Reception records the check with the professional body of the agent's qualification, by one
    of the two methods of §4.1.2 (§4.1.3 names the body). A failed check rejects."""
    delegation = _lock(delegation)
    _require_status(delegation, Delegation.Status.SUBMITTED)
    if not delegation.needs_qualification_check:
        raise DelegationError(_("受任者は士業ではありません。"), code="no_qualification")
    if QualificationCheck.objects.filter(delegation=delegation).exists():
        raise DelegationError(_("資格確認は既に記録されています。"), code="already_checked")
    if channel not in QualificationCheck.Channel.values:
        raise DelegationError(
            _("確認の方法は、資格団体のホームページでの確認か、資格団体への電話等による問い合わせです。"),
            code="incomplete",
            field="channel",
        )
    if not method.strip() or not contact_person.strip():
        raise DelegationError(_("確認方法と確認先の担当者を入力してください。"), code="incomplete")
    body = str(Qualification(delegation.agent_qualification).professional_body)
    check = QualificationCheck.objects.create(
        delegation=delegation,
        professional_body=body,
        channel=channel,
        method=method,
        checked_on=checked_on,
        contact_person=contact_person,
        result=result,
        note=note,
        recorded_by=actor,
    )
    audit.record(
        "delegations.delegation.qualification_checked",
        actor=actor,
        subject=delegation,
        result=result,
        professional_body=body,
        channel=channel,
        method=method,
        checked_on=checked_on,
    )
    if result == QualificationCheck.Result.CONFIRMED:
        _activate_if_ready(delegation, actor=actor)
    else:
        _reject(
            delegation,
            actor=actor,
            reason=str(_("受任者の資格を確認できませんでした。")) + (f"\n{note}" if note else ""),
        )
    return check


def _reject(delegation: Delegation, *, actor: Actor, reason: str) -> None:
    delegation.status = Delegation.Status.REJECTED
    delegation.rejected_at = timezone.now()
    delegation.decision_reason = reason
    delegation.save(update_fields=["status", "rejected_at", "decision_reason", "updated_at"])
    audit.record("delegations.delegation.rejected", actor=actor, subject=delegation, reason=reason)
    _notify(delegation, "rejected", reason=reason)


@service("delegations.delegation.reject")
def reject_submission(delegation: Delegation, *, actor: Actor, reason: str) -> Delegation:
    delegation = _lock(delegation)
    _require_status(delegation, Delegation.Status.SUBMITTED)
    if not reason.strip():
        raise DelegationError(_("不受理の理由を入力してください。"), code="reason_missing")
    _reject(delegation, actor=actor, reason=reason)
    return delegation
