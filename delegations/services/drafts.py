"""Drafts: create, edit, delete and finalise a delegation (its ID, XML and PDF)."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

import audit
from delegations.document import acceptance, acceptance_pdf, delegation_pdf, delegation_xml
from delegations.document.content import (
    Agent,
    AgentIdentifierKind,
    CorporatePrincipal,
    DelegationContent,
    Principal,
    Qualification,
    ServiceInfo,
    SoleProprietorPrincipal,
)
from delegations.document.errors import DocumentError
from delegations.models import Delegation, MatterTemplate
from delegations.services.common import DRAFT_FIELDS, DelegationError, _lock, _require_may_submit, _require_status
from delegations.standing import today_in_japan
from kernel import Actor, service
from mynatrust.lib import delegation_id as delegation_ids
from registry.models import Subscriber

if TYPE_CHECKING:
    from mynatrust.models import User


def principal_of(subscriber: Subscriber) -> Principal:
    """The principal as the approved subscriber record states it (never from form input)."""
    facts = subscriber.current_facts
    if facts is None:
        raise DelegationError(_("利用申込が承認されていないため、電子委任状を作成できません。"), code="no_facts")
    try:
        if subscriber.kind == Subscriber.Kind.SOLE_PROPRIETOR:
            if facts.representative_birth_date is None:
                raise DelegationError(_("生年月日が登録されていません。"), code="no_birth_date")
            return SoleProprietorPrincipal(
                trade_name=facts.organisation_name,
                name=facts.representative_name,
                # Table 4-1: 住所（事業所所在地）, the business address (§3.1.1 所在地), not the home.
                business_address=facts.address,
                date_of_birth=facts.representative_birth_date,
            )
        return CorporatePrincipal(
            corporate_number=subscriber.corporate_number,
            name=facts.organisation_name,
            head_office_address=facts.address,
            representative_title=facts.representative_title,
            representative_name=facts.representative_name,
        )
    except DocumentError as exc:
        raise DelegationError(exc.message, code="principal_invalid") from exc


def _agent_of(values: dict[str, Any]) -> Agent:
    return Agent(
        name=values["agent_name"],
        title=values.get("agent_title") or "",
        qualification=Qualification(values["agent_qualification"]) if values.get("agent_qualification") else None,
        address=values["agent_address"],
        identifier_kind=AgentIdentifierKind(values["agent_identifier_kind"]),
        identifier=values["agent_identifier"],
    )


def _refuse_ended_period(valid_until: date) -> None:
    today = today_in_japan(timezone.now())
    if valid_until < today:
        raise DelegationError(
            _("委任期間の終期（%(end)s）は既に過ぎています。今日（%(today)s）以降の日付にしてください。")
            % {"end": date_format(valid_until, "DATE_FORMAT"), "today": date_format(today, "DATE_FORMAT")},
            code="period_ended",
            field="valid_until",
        )


def check_draft_values(values: dict[str, Any]) -> None:
    """Run the document's own rules over draft input (forms call this to show errors by field)."""
    if isinstance(values.get("valid_until"), date):
        _refuse_ended_period(values["valid_until"])
    try:
        agent = _agent_of(values)
        DelegationContent(
            delegation_id=delegation_ids.generate(),
            issued_on=timezone.localdate(),
            service=ServiceInfo.from_settings("0000-0000-0000-00"),
            principal=CorporatePrincipal(
                corporate_number="5835678256246",
                name="-",
                head_office_address="-",
                representative_title="-",
                representative_name="-",
            ),
            agent=agent,
            powers=values["powers"],
            limitations=values.get("limitations") or "",
            valid_from=values["valid_from"],
            valid_until=values["valid_until"],
        )
    except DocumentError as exc:
        field = {"name": "agent_name", "title": "agent_title", "address": "agent_address"}.get(
            exc.field or "", exc.field
        )
        if field in ("identifier", "identifier_kind", "qualification"):
            field = f"agent_{field}"
        raise DelegationError(exc.message, code="invalid_content", field=field) from exc


def _new_draft(subscriber: Subscriber, *, actor: User, values: dict[str, Any]) -> Delegation:
    _require_may_submit(subscriber)
    principal_of(subscriber)
    check_draft_values(values)
    return Delegation.objects.create(
        subscriber=subscriber, created_by=actor, **{k: values.get(k) or "" for k in DRAFT_FIELDS}
    )


@service("delegations.draft.create")
def create_draft(
    subscriber: Subscriber, *, actor: User, values: dict[str, Any], template: MatterTemplate | None = None
) -> Delegation:
    """A new draft; ``template`` names the 委任事項 template the subscriber started from (its text
    as edited is in ``values``), kept in the audit event with the template's version."""
    delegation = _new_draft(subscriber, actor=actor, values=values)
    audit.record(
        "delegations.draft.created",
        actor=actor,
        subject=delegation,
        subscriber=subscriber.public_id,
        **({"template": {"id": template.pk, "version": template.version}} if template else {}),
    )
    return delegation


@service("delegations.draft.copy")
def copy_draft(source: Delegation, subscriber: Subscriber, *, actor: User, values: dict[str, Any]) -> Delegation:
    """A new draft made from ``source`` ("copy to create"): the page offered the source's agent and
    matters and its period's dates still ahead, the member edited them into ``values``. Signatures,
    the ID and the generated documents are never copied. Only a member of the source's subscriber."""
    if source.subscriber_id != subscriber.pk or not subscriber.memberships.filter(user=actor).exists():
        raise DelegationError(_("この電子委任状は複写できません。"), code="not_member")
    delegation = _new_draft(subscriber, actor=actor, values=values)
    audit.record(
        "delegations.draft.copied",
        actor=actor,
        subject=delegation,
        subscriber=subscriber.public_id,
        copied_from=source.public_id,
    )
    return delegation


def copy_values(source: Delegation, *, today: date) -> dict[str, Any]:
    """What "copy to create" offers from ``source``: every draft field, less a period date already past."""
    values = {k: getattr(source, k) for k in DRAFT_FIELDS}
    for key in ("valid_from", "valid_until"):
        if values[key] is None or values[key] < today:
            values[key] = None
    return values


@service("delegations.draft.delete")
def delete_draft(delegation: Delegation, *, actor: Actor) -> None:
    """A draft the subscriber no longer wants: it never had an ID, so nothing refers to it."""
    delegation = _lock(delegation)
    _require_status(
        delegation,
        Delegation.Status.DRAFT,
        message=_("削除できるのは下書きだけです。確定した電子委任状は削除できません。"),
    )
    audit.record(
        "delegations.draft.deleted",
        actor=actor,
        subject=delegation,
        public_id=delegation.public_id,
        subscriber=delegation.subscriber.public_id,
    )
    delegation.delete()


@service("delegations.draft.edit")
def edit_draft(delegation: Delegation, *, actor: Actor, values: dict[str, Any]) -> Delegation:
    delegation = _lock(delegation)
    _require_status(delegation, Delegation.Status.DRAFT, message=_("確定した電子委任状は編集できません。"))
    check_draft_values(values)
    changed = [k for k in DRAFT_FIELDS if getattr(delegation, k) != (values.get(k) or "")]
    for key in DRAFT_FIELDS:
        setattr(delegation, key, values.get(key) or "")
    delegation.save()
    audit.record("delegations.draft.edited", actor=actor, subject=delegation, fields=changed)
    return delegation


def content_of(delegation: Delegation, *, delegation_id: str, issued_on: date) -> DelegationContent:
    try:
        return DelegationContent(
            delegation_id=delegation_id,
            issued_on=issued_on,
            service=ServiceInfo.from_settings(delegation_id),
            principal=principal_of(delegation.subscriber),
            agent=_agent_of({k: getattr(delegation, k) for k in DRAFT_FIELDS}),
            powers=delegation.powers,
            limitations=delegation.limitations,
            valid_from=delegation.valid_from,
            valid_until=delegation.valid_until,
        )
    except DocumentError as exc:
        raise DelegationError(exc.message, code="invalid_content", field=exc.field) from exc


def _new_delegation_id() -> str:
    # 65 random bits: a collision is astronomically rare, but an ID is never reused, so check.
    while True:
        candidate = delegation_ids.generate()
        if not Delegation.objects.filter(delegation_id=candidate).exists():
            return candidate


@service("delegations.delegation.finalise")
def finalise_draft(delegation: Delegation, *, actor: Actor) -> Delegation:
    """Assign the delegation ID and generate the XML, the PDF and the agent's acceptance."""
    delegation = _lock(delegation)
    _require_status(delegation, Delegation.Status.DRAFT, message=_("この電子委任状は既に確定しています。"))
    _require_may_submit(delegation.subscriber)
    _refuse_ended_period(delegation.valid_until)
    issued_on = timezone.localdate()
    content = content_of(delegation, delegation_id=_new_delegation_id(), issued_on=issued_on)
    xml = delegation_xml.to_xml(content)
    accepted = acceptance.AcceptanceContent.for_delegation(content, xml, issued_on=issued_on)
    acceptance_bytes = acceptance.to_xml(accepted)
    delegation.delegation_id = content.delegation_id
    delegation.issued_on = issued_on
    delegation.principal_name = content.principal.display_name
    delegation.xml = xml
    delegation.xml_sha256 = delegation_xml.sha256_hex(xml)
    delegation.pdf = delegation_pdf.render_pdf(content)
    delegation.acceptance_xml = acceptance_bytes
    delegation.acceptance_sha256 = hashlib.sha256(acceptance_bytes).hexdigest()
    delegation.acceptance_pdf = acceptance_pdf.render_pdf(accepted)
    delegation.status = Delegation.Status.AWAITING_SIGNATURES
    delegation.finalised_at = timezone.now()
    delegation.save()
    audit.record(
        "delegations.delegation.finalised",
        actor=actor,
        subject=delegation,
        public_id=delegation.public_id,
        xml_sha256=delegation.xml_sha256,
        replaces=delegation.replaces.delegation_id if delegation.replaces_id and delegation.replaces else None,
    )
    return delegation
