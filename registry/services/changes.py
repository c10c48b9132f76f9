"""Changes of the basic information (§3.2), submitted by a member and reviewed like an application."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

import audit
from kernel import service
from registry import reception
from registry.models import (
    StagedEvidence,
    Subscriber,
    SubscriberFacts,
)
from registry.services.common import RegistryError, _changed_fields, _declared, _is_initial, _locked_for_member
from registry.services.confirmation import take_held
from registry.services.corporate import _nta_check
from registry.services.evidence import EvidenceInput, _store_evidence
from registry.services.mail import _mail_on_commit, _receipt_of

if TYPE_CHECKING:
    from mynatrust.models import User


@service("registry.facts.change")
def submit_change(
    subscriber: Subscriber,
    *,
    actor: User,
    facts: dict[str, Any],
    evidence: EvidenceInput | None,
    held: StagedEvidence | None = None,
) -> SubscriberFacts:
    """A member reports changed basic information. Registered facts (name, address, representative)
    need new registry evidence and review, and the old facts stay in force until approved; other
    facts (phone, date of birth) take effect at once. Either way a new version keeps the history.
    From the form's final button, ``held`` is the confirmation's held file, used once."""
    if held is not None:
        take_held(held)
    subscriber = _locked_for_member(subscriber, actor)
    if subscriber.status not in (Subscriber.Status.ACTIVE, Subscriber.Status.SUSPENDED):
        raise RegistryError(_("利用中の利用者だけが変更を届け出られます。"), code="wrong_state")
    if subscriber.open_facts is not None:
        raise RegistryError(_("審査中の変更届があります。結果をお待ちください。"), code="change_open")
    current = subscriber.current_facts
    if current is None:  # cannot happen for an active subscriber; refuse rather than guess
        raise RegistryError(_("承認済みの登録内容がありません。"), code="wrong_state")
    latest_version = subscriber.facts.order_by("-version").values_list("version", flat=True).first() or 0
    new = SubscriberFacts(
        subscriber=subscriber,
        version=latest_version + 1,
        submitted_by=actor,
        submitted_at=timezone.now(),
        **_declared(facts),
    )
    changed = _changed_fields(current, new)
    if not changed:
        raise RegistryError(_("変更された項目がありません。"), code="no_change")
    new.reception_number = reception.next_number(reception.CHANGE)
    # For a sole proprietor the date of birth identifies the person too: it is reviewed like a registered fact.
    sole = subscriber.kind == Subscriber.Kind.SOLE_PROPRIETOR
    birth_changed = sole and new.representative_birth_date != current.representative_birth_date
    if new.changes_registered_facts(current) or birth_changed:
        _submit_for_review(new, evidence, facts=facts, changed=changed, actor=actor)
    else:
        _change_at_once(new, current, changed=changed, actor=actor)
    return new


def _submit_for_review(
    new: SubscriberFacts, evidence: EvidenceInput | None, *, facts: dict[str, Any], changed: list[str], actor: User
) -> None:
    """A change of what the registry certifies: pending with its evidence until reception decides."""
    subscriber = new.subscriber
    if evidence is None and subscriber.kind != Subscriber.Kind.SOLE_PROPRIETOR:
        raise RegistryError(
            _("商号・所在地・代表者の変更には、変更後の登記事項証明書が必要です。"),
            code="evidence_missing",
            field="evidence_file",
        )
    new.state = SubscriberFacts.State.PENDING
    new.nta_check = _nta_check(subscriber.kind, subscriber.corporate_number, facts)
    new.save()
    if evidence is not None:
        _store_evidence(new, evidence, actor=actor)
    audit.record(
        "registry.facts.change_submitted",
        actor=actor,
        subject=subscriber,
        version=new.version,
        changed=changed,
        reception_number=new.reception_number,
    )
    _mail_on_commit(subscriber, "change_submitted", _receipt_of(new))


def _change_at_once(new: SubscriberFacts, current: SubscriberFacts, *, changed: list[str], actor: User) -> None:
    """Nothing the registry certifies changed: carry the confirmed facts over, effective now."""
    new.state = SubscriberFacts.State.APPROVED
    new.company_registry_number = current.company_registry_number
    new.registered_representative_name = current.registered_representative_name
    new.registered_representative_address = current.registered_representative_address
    new.nta_check = current.nta_check
    new.decided_at = new.submitted_at
    new.decision_reason = gettext("登記事項以外の変更（審査不要）")
    current.state = SubscriberFacts.State.SUPERSEDED
    current.save(update_fields=["state"])
    new.save()
    audit.record(
        "registry.facts.changed",
        actor=actor,
        subject=new.subscriber,
        version=new.version,
        changed=changed,
        reception_number=new.reception_number,
    )


@service("registry.facts.withdraw")
def withdraw_change(subscriber: Subscriber, *, actor: User) -> SubscriberFacts:
    subscriber = _locked_for_member(subscriber, actor)
    if _is_initial(subscriber) or subscriber.status == Subscriber.Status.RETURNED:
        raise RegistryError(_("申込そのものは取り下げられません。受付窓口にご連絡ください。"), code="wrong_state")
    version = subscriber.open_facts
    if version is None:
        raise RegistryError(_("取り下げられる変更届はありません。"), code="wrong_state")
    version.state = SubscriberFacts.State.WITHDRAWN
    version.save(update_fields=["state"])
    audit.record("registry.facts.withdrawn", actor=actor, subject=subscriber, version=version.version)
    return version
