"""The review of applications and of changes (§3.1.3, §3.2): start it, approve, reject, return, and
the applicant's resubmission after a return."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

import audit
from kernel import Actor, service
from registry import contract
from registry.models import (
    StagedEvidence,
    Subscriber,
    SubscriberFacts,
)
from registry.services.application import _require_title
from registry.services.common import (
    RegistryError,
    _changed_fields,
    _declared,
    _is_initial,
    _locked_for_member,
)
from registry.services.confirmation import take_held
from registry.services.corporate import _nta_check
from registry.services.evidence import EvidenceInput, _store_evidence
from registry.services.mail import _mail_on_commit
from registry.services.nta_review import NtaRow, confirm_nta_rows

if TYPE_CHECKING:
    from mynatrust.models import User


@service("registry.subscriber.review_started")
def start_review(subscriber: Subscriber, *, actor: Actor) -> Subscriber:
    subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
    if subscriber.status != Subscriber.Status.APPLIED:
        raise RegistryError(_("審査を開始できる状態ではありません。"), code="wrong_state")
    subscriber.status = Subscriber.Status.UNDER_REVIEW
    subscriber.save(update_fields=["status"])
    audit.record("registry.subscriber.review_started", actor=actor, subject=subscriber)
    return subscriber


def _locked_open_facts(
    facts: SubscriberFacts, states: tuple[str, ...] = (SubscriberFacts.State.PENDING,)
) -> tuple[SubscriberFacts, Subscriber]:
    subscriber = Subscriber.objects.select_for_update().get(pk=facts.subscriber_id)
    facts = SubscriberFacts.objects.select_for_update().get(pk=facts.pk)
    if facts.state not in states:
        raise RegistryError(_("この届出は審査待ちではありません。"), code="wrong_state")
    return facts, subscriber


DUPLICATE_IN_SERVICE = _(
    "この法人番号の利用者が既に利用中（または利用停止中）です。同じ法人の利用者は一つだけ承認できます。"
)


def _in_service_under(subscriber: Subscriber) -> bool:
    """Another subscriber with the same corporate number is in service (active or suspended)."""
    return bool(subscriber.corporate_number) and (
        Subscriber.objects.filter(
            corporate_number=subscriber.corporate_number,
            status__in=[Subscriber.Status.ACTIVE, Subscriber.Status.SUSPENDED],
        )
        .exclude(pk=subscriber.pk)
        .exists()
    )


@service("registry.facts.approve")
def approve_facts(
    facts: SubscriberFacts,
    *,
    actor: User,
    company_registry_number: str,
    registered_representative_name: str,
    registered_representative_address: str,
    reason: str = "",
    nta_confirmation: Mapping[str, NtaRow] | None = None,
) -> SubscriberFacts:
    """Reception approves an application or a change after checking the registry evidence and
    confirming the NTA record row by row (``registry.services.nta_review``)."""
    facts, subscriber = _locked_open_facts(facts)
    name, address = _registered_representative(
        facts, subscriber, registered_representative_name, registered_representative_address
    )
    _check_registry_number(subscriber, company_registry_number)
    initial = _is_initial(subscriber)
    if not initial and subscriber.status not in (Subscriber.Status.ACTIVE, Subscriber.Status.SUSPENDED):
        raise RegistryError(_("この利用者の届出は承認できません。"), code="wrong_state")
    facts.nta_confirmation = confirm_nta_rows(facts, nta_confirmation, actor=actor)
    if initial and _in_service_under(subscriber):
        raise RegistryError(DUPLICATE_IN_SERVICE, code="duplicate_corporate_number")
    now = timezone.now()
    previous = subscriber.current_facts
    if previous is not None:
        previous.state = SubscriberFacts.State.SUPERSEDED
        previous.save(update_fields=["state"])
    facts.state = SubscriberFacts.State.APPROVED
    facts.company_registry_number = company_registry_number
    facts.registered_representative_name = name
    facts.registered_representative_address = address
    facts.decided_by = actor
    facts.decided_at = now
    facts.decision_reason = reason
    facts.save()
    if initial:
        _start_contract(subscriber, facts, actor=actor, reason=reason)
    else:
        audit.record(
            "registry.facts.approved",
            actor=actor,
            subject=subscriber,
            version=facts.version,
            changed=_changed_fields(previous, facts),
        )
    _mail_on_commit(subscriber, "approved" if initial else "change_approved", {"reason": reason})
    return facts


def _registered_representative(
    facts: SubscriberFacts, subscriber: Subscriber, name: str, address: str
) -> tuple[str, str]:
    """The representative's name and address as the registry gives them (the declared ones for a
    sole proprietor when reception leaves them empty), stripped; refused when evidence or either
    is missing."""
    sole = subscriber.kind == Subscriber.Kind.SOLE_PROPRIETOR
    _require_title(subscriber.kind, {"representative_title": facts.representative_title})
    if not sole and not facts.evidence.exists():
        raise RegistryError(_("登記事項の証明が提出されていません。"), code="evidence_missing")
    if sole:
        # No registry: the representative's JPKI certificate is compared with the declared name and
        # home address (§3.1.1) when the delegation is signed.
        name = name.strip() or facts.representative_name
        address = address.strip() or facts.representative_address
    if not name.strip() or not address.strip():
        raise RegistryError(_("登記上の代表者の氏名と住所を記録してください。"), code="registered_missing")
    return name.strip(), address.strip()


def _check_registry_number(subscriber: Subscriber, company_registry_number: str) -> None:
    if subscriber.kind != Subscriber.Kind.CORPORATION:
        return
    if len(company_registry_number) != 12 or not company_registry_number.isdigit():
        raise RegistryError(_("会社法人等番号は12桁の数字です。"), code="registry_number_format")
    if company_registry_number != subscriber.corporate_number[1:]:
        raise RegistryError(
            _("会社法人等番号が法人番号（先頭の検査用数字を除く12桁）と一致しません。"),
            code="registry_number_mismatch",
        )


def _start_contract(subscriber: Subscriber, facts: SubscriberFacts, *, actor: User, reason: str) -> None:
    """An approved application: the subscriber is in service from today for the contract's term."""
    today = timezone.localdate()
    subscriber.status = Subscriber.Status.ACTIVE
    subscriber.status_reason = reason
    subscriber.approved_at = facts.decided_at
    subscriber.contract_start = today
    subscriber.contract_end = contract.term_end(today)
    try:
        with transaction.atomic():
            subscriber.save(update_fields=["status", "status_reason", "approved_at", "contract_start", "contract_end"])
    except IntegrityError:  # another application for the number was approved at the same moment
        raise RegistryError(DUPLICATE_IN_SERVICE, code="duplicate_corporate_number") from None
    audit.record(
        "registry.subscriber.approved",
        actor=actor,
        subject=subscriber,
        version=facts.version,
        contract_end=subscriber.contract_end,
    )


@service("registry.facts.reject")
def reject_facts(facts: SubscriberFacts, *, actor: User, reason: str) -> SubscriberFacts:
    """Reception rejects an application (the subscriber ends as rejected) or a change (old facts stay);
    also one waiting for the applicant who never answers."""
    if not reason.strip():
        raise RegistryError(_("不承認の理由を入力してください。"), code="reason_missing")
    facts, subscriber = _locked_open_facts(facts, (SubscriberFacts.State.PENDING, SubscriberFacts.State.RETURNED))
    facts.state = SubscriberFacts.State.REJECTED
    facts.decided_by = actor
    facts.decided_at = timezone.now()
    facts.decision_reason = reason
    facts.save(update_fields=["state", "decided_by", "decided_at", "decision_reason"])
    initial = _is_initial(subscriber)
    if initial:
        subscriber.status = Subscriber.Status.REJECTED
        subscriber.status_reason = reason
        subscriber.save(update_fields=["status", "status_reason"])
    audit.record(
        "registry.subscriber.rejected" if initial else "registry.facts.rejected",
        actor=actor,
        subject=subscriber,
        version=facts.version,
        reason=reason,
    )
    _mail_on_commit(subscriber, "rejected" if initial else "change_rejected", {"reason": reason})
    return facts


@service("registry.facts.return")
def return_facts(facts: SubscriberFacts, *, actor: User, reason: str) -> SubscriberFacts:
    """Reception asks the applicant to correct the form or send new evidence (差戻し)."""
    if not reason.strip():
        raise RegistryError(_("差戻しの理由を入力してください。"), code="reason_missing")
    facts, subscriber = _locked_open_facts(facts)
    facts.state = SubscriberFacts.State.RETURNED
    facts.decision_reason = reason
    facts.decided_by = actor
    facts.decided_at = timezone.now()
    facts.save(update_fields=["state", "decision_reason", "decided_by", "decided_at"])
    if _is_initial(subscriber):
        subscriber.status = Subscriber.Status.RETURNED
        subscriber.status_reason = reason
        subscriber.save(update_fields=["status", "status_reason"])
    audit.record("registry.facts.returned", actor=actor, subject=subscriber, version=facts.version, reason=reason)
    _mail_on_commit(subscriber, "returned", {"reason": reason})
    return facts


@service("registry.facts.resubmit")
def resubmit_facts(
    subscriber: Subscriber,
    *,
    actor: User,
    facts: dict[str, Any],
    evidence: EvidenceInput | None,
    held: StagedEvidence | None = None,
) -> SubscriberFacts:
    """The applicant answers a return: corrected facts and/or new evidence go back to review.
    From the form's final button, ``held`` is the confirmation's held file, used once."""
    if held is not None:
        take_held(held)
    subscriber = _locked_for_member(subscriber, actor)
    version = subscriber.facts.select_for_update().filter(state=SubscriberFacts.State.RETURNED).first()
    if version is None:
        raise RegistryError(_("差し戻された届出はありません。"), code="wrong_state")
    for name, value in _declared(facts).items():
        setattr(version, name, value)
    _require_title(subscriber.kind, {"representative_title": version.representative_title})
    if subscriber.kind == Subscriber.Kind.SOLE_PROPRIETOR and not version.representative_birth_date:
        raise RegistryError(
            _("個人事業主は生年月日を入力してください。"),
            code="birth_date_missing",
            field="representative_birth_date",
        )
    if subscriber.kind == Subscriber.Kind.CORPORATION:
        version.nta_check = _nta_check(subscriber.kind, subscriber.corporate_number, facts)
    version.state = SubscriberFacts.State.PENDING
    version.submitted_by = actor
    version.submitted_at = timezone.now()
    version.save()
    if evidence is not None:
        _store_evidence(version, evidence, actor=actor)
    if subscriber.status == Subscriber.Status.RETURNED:
        subscriber.status = Subscriber.Status.APPLIED
        subscriber.save(update_fields=["status"])
    audit.record("registry.facts.resubmitted", actor=actor, subject=subscriber, version=version.version)
    return version
