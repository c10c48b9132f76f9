"""Updates (§4.2) and revocations, by the subscriber or by an operator with a second person's approval."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

import audit
from delegations.models import Delegation, RevocationRequest
from delegations.services.common import DRAFT_FIELDS, DelegationError, _lock, _require_may_submit, _require_status
from delegations.services.notices import _notify
from delegations.signals import delegation_ended
from kernel import Actor, service
from mynatrust.roles import holds
from registry import reception

if TYPE_CHECKING:
    from mynatrust.models import User


@service("delegations.delegation.update")
def start_update(delegation: Delegation, *, actor: User) -> Delegation:
    """§4.2: copy an active delegation into a new draft; it replaces the old one when it is activated."""
    delegation = _lock(delegation)
    _require_status(
        delegation,
        Delegation.Status.ACTIVE,
        message=_("有効な電子委任状だけを変更できます（現在は「%(status)s」）。")
        % {"status": delegation.get_status_display()},
    )
    _require_may_submit(delegation.subscriber)
    if Delegation.objects.open_updates().filter(replaces=delegation).exists():
        raise DelegationError(
            _("この電子委任状は既に変更の手続中です。手続中の下書きから続けてください。"), code="update_in_progress"
        )
    draft = Delegation.objects.create(
        subscriber=delegation.subscriber,
        created_by=actor,
        replaces=delegation,
        **{k: getattr(delegation, k) for k in DRAFT_FIELDS},
    )
    audit.record("delegations.delegation.update_started", actor=actor, subject=delegation, draft=draft.public_id)
    return draft


def _revoke(delegation: Delegation, *, actor: User, reason: str, by_operator: bool) -> None:
    delegation.status = Delegation.Status.REVOKED
    delegation.revoked_at = timezone.now()
    delegation.revoked_by = actor
    delegation.decision_reason = reason
    delegation.revocation_number = reception.next_number(reception.REVOCATION)
    delegation.save(
        update_fields=["status", "revoked_at", "revoked_by", "decision_reason", "revocation_number", "updated_at"]
    )
    # A successor still in progress can never replace a revoked delegation: close it too.
    for successor in Delegation.objects.open_updates().filter(replaces=delegation).select_for_update():
        successor.status = Delegation.Status.REJECTED
        successor.rejected_at = delegation.revoked_at
        successor.decision_reason = str(_("変更元の電子委任状が取り消されたため、変更の手続を終了しました。"))
        successor.save(update_fields=["status", "rejected_at", "decision_reason", "updated_at"])
        audit.record(
            "delegations.delegation.update_closed", actor=actor, subject=successor, replaces=delegation.delegation_id
        )
    audit.record(
        "delegations.delegation.revoked",
        actor=actor,
        subject=delegation,
        reason=reason,
        by_operator=by_operator,
        reception_number=delegation.revocation_number,
    )
    delegation_ended.send(Delegation, delegation=delegation, status=Delegation.Status.REVOKED)
    _notify(delegation, "revoked", reason=reason)


@service("delegations.delegation.revoke")
def revoke_delegation(delegation: Delegation, *, actor: User, reason: str) -> Delegation:
    """The subscriber revokes an active delegation; effective at once for validity answers. Only an
    administrator of the subscriber, or a member the administrators allowed to, may."""
    membership = delegation.subscriber.memberships.filter(user=actor).first()
    if membership is None or not membership.can_revoke:
        raise DelegationError(
            _("電子委任状の取消は、利用者の管理者と、管理者が認めた担当者だけが行えます。"), code="not_permitted"
        )
    delegation = _lock(delegation)
    _require_status(
        delegation,
        Delegation.Status.ACTIVE,
        message=_("有効な電子委任状だけを取り消せます（現在は「%(status)s」）。")
        % {"status": delegation.get_status_display()},
    )
    if not reason.strip():
        raise DelegationError(_("取消の理由を入力してください。"), code="reason_missing", field="reason")
    _revoke(delegation, actor=actor, reason=reason, by_operator=False)
    return delegation


@service("delegations.revocation.request")
def request_revocation(delegation: Delegation, *, actor: User, reason: str) -> RevocationRequest:
    """An operator asks to revoke; a second staff member must approve (4-eyes)."""
    _require_role(actor, "delegations.revoke_delegation")
    delegation = _lock(delegation)
    _require_status(delegation, Delegation.Status.ACTIVE)
    if not reason.strip():
        raise DelegationError(_("取消の理由を入力してください。"), code="reason_missing")
    if RevocationRequest.objects.filter(delegation=delegation, decision=RevocationRequest.Decision.PENDING).exists():
        raise DelegationError(_("この電子委任状には承認待ちの取消申請があります。"), code="request_pending")
    request = RevocationRequest.objects.create(delegation=delegation, reason=reason, requested_by=actor)
    audit.record("delegations.revocation.requested", actor=actor, subject=delegation, reason=reason)
    return request


def _require_role(actor: Actor, perm: str) -> None:
    """Staff acts check the role in the service, whatever the entry point."""
    if not holds(actor, perm):
        raise DelegationError(_("この操作を行う権限がありません。"), code="not_permitted")


def _decide_revocation(request: RevocationRequest, *, actor: User, approve: bool, note: str = "") -> RevocationRequest:
    _require_role(actor, "delegations.revoke_delegation")
    request = RevocationRequest.objects.select_for_update().select_related("delegation").get(pk=request.pk)
    if request.decision != RevocationRequest.Decision.PENDING:
        raise DelegationError(_("この取消申請は既に判断されています。"), code="already_decided")
    if request.requested_by_id == getattr(actor, "pk", None):
        raise DelegationError(
            _("自分が申請した取消は承認・却下できません（別の担当者が判断します）。"), code="four_eyes"
        )
    request.decision = RevocationRequest.Decision.APPROVED if approve else RevocationRequest.Decision.REJECTED
    request.decided_by = actor
    request.decided_at = timezone.now()
    request.save(update_fields=["decision", "decided_by", "decided_at"])
    delegation = _lock(request.delegation)
    audit.record(
        "delegations.revocation.approved" if approve else "delegations.revocation.rejected",
        actor=actor,
        subject=delegation,
        requested_by=request.requested_by_id,
        **({"note": note} if note else {}),
    )
    if approve:
        _require_status(delegation, Delegation.Status.ACTIVE)
        _revoke(delegation, actor=actor, reason=request.reason, by_operator=True)
    return request


@service("delegations.revocation.approve")
def approve_revocation(request: RevocationRequest, *, actor: User, note: str = "") -> RevocationRequest:
    return _decide_revocation(request, actor=actor, approve=True, note=note)


@service("delegations.revocation.reject")
def reject_revocation(request: RevocationRequest, *, actor: User, note: str = "") -> RevocationRequest:
    return _decide_revocation(request, actor=actor, approve=False, note=note)
