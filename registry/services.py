"""Every state change of the registry. Each function is atomic, named by verb, takes a keyword-only
``actor`` and records its audit event inside the transaction; a refused action raises RegistryError
and is recorded as ``<event>_refused`` after the rollback. E-mail goes out on commit."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

import audit
from kernel import Actor, ServiceError, service
from kernel.services import record_refusal
from mynatrust import mail_limits
from mynatrust.repository.services import accept_current_terms, record_privacy_notice
from mynatrust.repository.terms import current_terms_version
from registry import contract, matching, reception
from registry.models import (
    CorporateRecord,
    DataRequest,
    Invitation,
    Membership,
    RegistryEvidence,
    Subscriber,
    SubscriberFacts,
)
from registry.nta import PROCESS_DELETED, NtaApiError, NtaClient
from registry.pdf_check import CheckedPdf

if TYPE_CHECKING:
    from mynatrust.models import User


# A 団体 is confirmed only through its registry (§3.1.2, §3.1.3) and described in a delegation only
# as a 法人 with its 法人番号 (Table 4-1 of §4.1.4): one without registration cannot apply.
CORPORATE_NUMBER_REQUIRED = _(
    "法人・団体は法人番号を入力してください。登記のない団体は、登記事項証明書で組織を確認できないため"
    "申し込めません（運用規程 3.1.3）。"
)


class RegistryError(ServiceError):
    """A refused registry action; ``message`` is translated and safe to show to the user."""


# --- inputs --------------------------------------------------------------------------------------


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


# --- corporate-number lookup ---------------------------------------------------------------------


def nta_client() -> NtaClient | None:
    if not settings.NTA_APPLICATION_ID:
        return None
    return NtaClient(settings.NTA_API_URL, settings.NTA_APPLICATION_ID, settings.NTA_API_TIMEOUT)


def lookup_corporate_number(number: str) -> dict[str, Any]:
    """What the NTA publishes about a number: the imported table first, then the Web-API."""
    checked_at = timezone.now().isoformat()
    record = CorporateRecord.objects.filter(pk=number).first()
    values: dict[str, Any] | None = None
    source = "table"
    if record is not None:
        values = {f.name: getattr(record, f.name) for f in CorporateRecord._meta.fields}
    else:
        client = nta_client()
        if client is not None:
            source = "api"
            try:
                info = client.lookup(number)
            except NtaApiError as exc:
                return {"status": "error", "source": source, "error": exc.code, "checked_at": checked_at}
            values = info.values if info else None
    if values is None:
        return {"status": "unknown", "source": source, "checked_at": checked_at}
    address = f"{values['prefecture_name']}{values['city_name']}{values['street_number']}" or values["address_outside"]
    status = "found"
    if values.get("process") == PROCESS_DELETED:
        status = "deleted"
    elif values.get("close_date"):
        status = "closed"
    return {
        "status": status,
        "source": source,
        "checked_at": checked_at,
        "name": values["name"],
        "address": address,
        "close_date": str(values["close_date"] or ""),
        "close_cause": values.get("close_cause", ""),
        "update_date": str(values.get("update_date") or ""),
    }


def compare_with_nta(check: dict[str, Any], *, organisation_name: str, address: str) -> list[str]:
    """Findings for the reviewer: unknown, closed, deleted, lookup_failed, name_differs, address_differs."""
    status = check.get("status")
    if status == "error":
        return ["lookup_failed"]
    if status == "unknown":
        return ["unknown"]
    findings = [status] if status in ("closed", "deleted") else []
    if matching.normalise_name(check.get("name", "")) != matching.normalise_name(organisation_name):
        findings.append("name_differs")
    if matching.normalise_address(check.get("address", "")) != matching.normalise_address(address):
        findings.append("address_differs")
    return findings


NTA_FINDINGS = {
    "unknown": _("法人番号が公表データにありません"),
    "closed": _("登記記録が閉鎖されています"),
    "deleted": _("公表データから削除されています"),
    "lookup_failed": _("法人番号を照会できませんでした（再照会してください）"),
    "name_differs": _("商号が公表データと異なります"),
    "address_differs": _("所在地が公表データと異なります"),
}


def _nta_check(kind: str, corporate_number: str, facts: dict[str, Any]) -> dict[str, Any]:
    if kind != Subscriber.Kind.CORPORATION:
        return {}
    check = lookup_corporate_number(corporate_number)
    check["findings"] = compare_with_nta(check, organisation_name=facts["organisation_name"], address=facts["address"])
    return check


def recheck_corporate_number(facts: SubscriberFacts, *, actor: Actor) -> SubscriberFacts:
    """Reception looks the number up again (after a failed lookup, or a fresh NTA import)."""
    subscriber = facts.subscriber
    check = _nta_check(subscriber.kind, subscriber.corporate_number, facts.declared())  # network: outside
    with transaction.atomic():
        facts = SubscriberFacts.objects.select_for_update().get(pk=facts.pk)
        facts.nta_check = check
        facts.save(update_fields=["nta_check"])
        audit.record(
            "registry.facts.nta_rechecked",
            actor=actor,
            subject=subscriber,
            version=facts.version,
            status=check.get("status", ""),
            findings=check.get("findings", []),
        )
    return facts


# --- application (§3.1) ---------------------------------------------------------------------------


def _declared(values: dict[str, Any]) -> dict[str, Any]:
    return {
        name: values.get(name) or ("" if name != "representative_birth_date" else None)
        for name in SubscriberFacts.DECLARED_FIELDS
    }


def terms_version_in_force() -> str:
    """The version of the terms of use applicants agree to: the published one, else the setting."""
    return current_terms_version() or settings.REGISTRY_TERMS_VERSION


def _require_title(kind: str, facts: dict[str, Any]) -> None:
    # §3.1.1 代表者の肩書; every delegation of a corporation carries it (§4.1.4 Table 4-1).
    if kind == Subscriber.Kind.CORPORATION and not str(facts.get("representative_title") or "").strip():
        raise RegistryError(
            _("法人は代表者の肩書（例：代表取締役）を入力してください。"),
            code="title_missing",
            field="representative_title",
        )


def apply_for_registration(
    *,
    actor: User,
    kind: str,
    corporate_number: str,
    facts: dict[str, Any],
    evidence: EvidenceInput | None,
    terms_accepted: bool,
    antisocial_declared: bool,
) -> Subscriber:
    """A subscriber-kind account applies for its business; it becomes the applicant member."""
    check = _nta_check(kind, corporate_number, facts)  # a network call: before the transaction
    same_number = _same_number(kind, corporate_number, actor)  # counts mails: before the transaction
    try:
        with transaction.atomic():
            subscriber = _apply(
                same_number=same_number,
                actor=actor,
                kind=kind,
                corporate_number=corporate_number,
                facts=facts,
                evidence=evidence,
                terms_accepted=terms_accepted,
                antisocial_declared=antisocial_declared,
                check=check,
            )
            if current_terms_version() is not None:
                # Agreeing in the application form is the acceptance the member area asks for.
                accept_current_terms(actor, actor=actor)
            # The privacy notice shown beside the form (§2.8(2)): its version is recorded too.
            record_privacy_notice(actor, actor=actor)
    except RegistryError as exc:
        record_refusal("registry.subscriber.apply_refused", exc, actor=actor, corporate_number=corporate_number)
        raise
    return subscriber


def _same_number(kind: str, corporate_number: str, actor: User) -> tuple[list[Subscriber], list[str]]:
    """The subscribers already registered or applying under ``corporate_number``, and those of their
    administrators' addresses to tell (mail limits apply)."""
    if kind != Subscriber.Kind.CORPORATION or not corporate_number or Membership.objects.filter(user=actor).exists():
        return [], []
    others = list(
        Subscriber.objects.filter(corporate_number=corporate_number).exclude(
            status__in=[Subscriber.Status.REJECTED, Subscriber.Status.TERMINATED]
        )
    )
    roles = (Membership.Role.APPLICANT, Membership.Role.ADMINISTRATOR)
    addresses = Membership.objects.filter(subscriber__in=others, role__in=roles).values_list("user__email", flat=True)
    told = [a for a in addresses if mail_limits.allow(mail_limits.SAME_NUMBER_APPLICATION, to=a, account=actor)]
    return others, told


def _apply(
    *,
    same_number: tuple[list[Subscriber], list[str]],
    actor: User,
    kind: str,
    corporate_number: str,
    facts: dict[str, Any],
    evidence: EvidenceInput | None,
    terms_accepted: bool,
    antisocial_declared: bool,
    check: dict[str, Any],
) -> Subscriber:
    if getattr(actor, "kind", None) != "subscriber":
        raise RegistryError(_("利用者アカウントでログインしてください。"), code="not_subscriber_account")
    if Membership.objects.filter(user=actor).exists():
        raise RegistryError(_("このアカウントは既に利用者に所属しています。"), code="already_member")
    if not terms_accepted or not antisocial_declared:
        raise RegistryError(_("利用約款への同意と表明が必要です。"), code="consent_missing")
    if kind == Subscriber.Kind.CORPORATION and not corporate_number:
        raise RegistryError(CORPORATE_NUMBER_REQUIRED, code="corporate_number_missing")
    _require_title(kind, facts)
    if kind == Subscriber.Kind.SOLE_PROPRIETOR:
        corporate_number = ""
        if not facts.get("representative_birth_date"):
            raise RegistryError(
                _("個人事業主は生年月日を入力してください。"),
                code="birth_date_missing",
                field="representative_birth_date",
            )
    # A number already registered or applied for is accepted like any other: the form never tells
    # whether a company is a subscriber (§2.7.1). Reception sees the others (§3.1.3) and approves at
    # most one; the other subscriber's administrators are told by mail.
    now = timezone.now()
    subscriber = Subscriber.objects.create(
        kind=kind,
        corporate_number=corporate_number,
        terms_version=terms_version_in_force(),
        terms_accepted_at=now,
        antisocial_declared_at=now,
        applied_at=now,
    )
    version = SubscriberFacts.objects.create(
        subscriber=subscriber,
        version=1,
        submitted_by=actor,
        submitted_at=now,
        nta_check=check,
        reception_number=reception.next_number(reception.APPLICATION),
        **_declared(facts),
    )
    Membership.objects.create(user=actor, subscriber=subscriber, role=Membership.Role.APPLICANT)
    # Registries are checked for corporations and 団体 only (§3.1.3): a sole proprietor applies
    # without one (a business-address document may still be attached) and is identified by their
    # own JPKI signature and basic four items when they sign (§3.1.1, Table 4-1).
    if evidence is not None or kind != Subscriber.Kind.SOLE_PROPRIETOR:
        _store_evidence(version, evidence, actor=actor)
    audit.record(
        "registry.subscriber.applied",
        actor=actor,
        subject=subscriber,
        kind=kind,
        corporate_number=corporate_number,
        terms_version=subscriber.terms_version,
        nta_findings=check.get("findings", []),
        same_number_as=[other.public_id for other in same_number[0]],
        reception_number=version.reception_number,
    )
    _mail_on_commit(subscriber, "applied", _receipt_of(version))
    for other in same_number[0]:
        told = [a for a in same_number[1] if other.memberships.filter(user__email__iexact=a).exists()]
        _mail_on_commit(other, "same_number_applied", {}, recipients=told)
    return subscriber


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


def _is_initial(subscriber: Subscriber) -> bool:
    """Still the application itself (not yet approved), rather than a change of an active subscriber."""
    return subscriber.status in (Subscriber.Status.APPLIED, Subscriber.Status.UNDER_REVIEW, Subscriber.Status.RETURNED)


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
) -> SubscriberFacts:
    """Reception approves an application or a change after checking the registry evidence."""
    facts, subscriber = _locked_open_facts(facts)
    sole = subscriber.kind == Subscriber.Kind.SOLE_PROPRIETOR
    _require_title(subscriber.kind, {"representative_title": facts.representative_title})
    if not sole and not facts.evidence.exists():
        raise RegistryError(_("登記事項の証明が提出されていません。"), code="evidence_missing")
    if sole:
        # No registry: the representative's JPKI certificate is compared with the declared name and
        # home address (§3.1.1) when the delegation is signed.
        registered_representative_name = registered_representative_name.strip() or facts.representative_name
        registered_representative_address = registered_representative_address.strip() or facts.representative_address
    if not registered_representative_name.strip() or not registered_representative_address.strip():
        raise RegistryError(_("登記上の代表者の氏名と住所を記録してください。"), code="registered_missing")
    if subscriber.kind == Subscriber.Kind.CORPORATION:
        if len(company_registry_number) != 12 or not company_registry_number.isdigit():
            raise RegistryError(_("会社法人等番号は12桁の数字です。"), code="registry_number_format")
        if company_registry_number != subscriber.corporate_number[1:]:
            raise RegistryError(
                _("会社法人等番号が法人番号（先頭の検査用数字を除く12桁）と一致しません。"),
                code="registry_number_mismatch",
            )
    initial = _is_initial(subscriber)
    if not initial and subscriber.status not in (Subscriber.Status.ACTIVE, Subscriber.Status.SUSPENDED):
        raise RegistryError(_("この利用者の届出は承認できません。"), code="wrong_state")
    if initial and _in_service_under(subscriber):
        raise RegistryError(DUPLICATE_IN_SERVICE, code="duplicate_corporate_number")
    now = timezone.now()
    previous = subscriber.current_facts
    if previous is not None:
        previous.state = SubscriberFacts.State.SUPERSEDED
        previous.save(update_fields=["state"])
    facts.state = SubscriberFacts.State.APPROVED
    facts.company_registry_number = company_registry_number
    facts.registered_representative_name = registered_representative_name.strip()
    facts.registered_representative_address = registered_representative_address.strip()
    facts.decided_by = actor
    facts.decided_at = now
    facts.decision_reason = reason
    facts.save()
    if initial:
        today = timezone.localdate()
        subscriber.status = Subscriber.Status.ACTIVE
        subscriber.status_reason = reason
        subscriber.approved_at = now
        subscriber.contract_start = today
        subscriber.contract_end = contract.term_end(today)
        try:
            with transaction.atomic():
                subscriber.save(
                    update_fields=["status", "status_reason", "approved_at", "contract_start", "contract_end"]
                )
        except IntegrityError:  # another application for the number was approved at the same moment
            raise RegistryError(DUPLICATE_IN_SERVICE, code="duplicate_corporate_number") from None
        audit.record(
            "registry.subscriber.approved",
            actor=actor,
            subject=subscriber,
            version=facts.version,
            contract_end=subscriber.contract_end,
        )
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
    subscriber: Subscriber, *, actor: User, facts: dict[str, Any], evidence: EvidenceInput | None
) -> SubscriberFacts:
    """The applicant answers a return: corrected facts and/or new evidence go back to review."""
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


# --- basic-info changes (§3.2) ---------------------------------------------------------------------


def _locked_for_member(subscriber: Subscriber, actor: User) -> Subscriber:
    subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
    if not subscriber.memberships.filter(user=actor).exists():
        raise RegistryError(_("この利用者の担当者ではありません。"), code="not_member")
    return subscriber


def _changed_fields(old: SubscriberFacts | None, new: SubscriberFacts) -> list[str]:
    if old is None:
        return list(SubscriberFacts.DECLARED_FIELDS)
    return [f for f in SubscriberFacts.DECLARED_FIELDS if getattr(old, f) != getattr(new, f)]


@service("registry.facts.change")
def submit_change(
    subscriber: Subscriber, *, actor: User, facts: dict[str, Any], evidence: EvidenceInput | None
) -> SubscriberFacts:
    """A member reports changed basic information. Registered facts (name, address, representative)
    need new registry evidence and review, and the old facts stay in force until approved; other
    facts (phone, date of birth) take effect at once. Either way a new version keeps the history."""
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
        if evidence is None and not sole:
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
    else:
        # Nothing the registry certifies changed: carry the confirmed facts over, effective now.
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
            subject=subscriber,
            version=new.version,
            changed=changed,
            reception_number=new.reception_number,
        )
    return new


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


# --- contract (§10.2.1) and end of contract --------------------------------------------------------


@service("registry.contract.renew")
def renew_contract(subscriber: Subscriber, *, actor: User) -> Subscriber:
    subscriber = _locked_for_member(subscriber, actor)
    today = timezone.localdate()
    if subscriber.status != Subscriber.Status.ACTIVE:
        raise RegistryError(_("利用中の契約だけが更新できます。"), code="wrong_state")
    if not contract.renewal_open(subscriber.contract_end, today):
        raise RegistryError(_("契約の更新はまだ受け付けていません。"), code="too_early")
    old_end = subscriber.contract_end
    subscriber.contract_end = contract.renewed_end(old_end, today)
    subscriber.terms_version = terms_version_in_force()
    subscriber.terms_accepted_at = timezone.now()
    subscriber.save(update_fields=["contract_end", "terms_version", "terms_accepted_at"])
    audit.record(
        "registry.contract.renewed",
        actor=actor,
        subject=subscriber,
        old_end=old_end,
        new_end=subscriber.contract_end,
        terms_version=subscriber.terms_version,
    )
    _mail_on_commit(subscriber, "renewed", {})
    return subscriber


def send_renewal_reminders(*, actor: Actor = audit.SYSTEM, today: date | None = None) -> int:
    """E-mail the members of every contract nearing its end, once per contract end date."""
    today = today or timezone.localdate()
    sent = 0
    for pk in Subscriber.objects.nearing_end(today).values_list("pk", flat=True):
        with transaction.atomic():
            subscriber = Subscriber.objects.select_for_update().get(pk=pk)
            if subscriber.reminded_for_end == subscriber.contract_end:
                continue
            subscriber.reminded_for_end = subscriber.contract_end
            subscriber.save(update_fields=["reminded_for_end"])
            audit.record(
                "registry.contract.reminder_sent", actor=actor, subject=subscriber, contract_end=subscriber.contract_end
            )
            _mail_on_commit(subscriber, "renewal_reminder", {})
            sent += 1
    return sent


@service("registry.subscriber.suspend")
def suspend_subscriber(subscriber: Subscriber, *, actor: Actor, reason: str) -> Subscriber:
    if not reason.strip():
        raise RegistryError(_("利用停止の理由を入力してください。"), code="reason_missing")
    subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
    if subscriber.status != Subscriber.Status.ACTIVE:
        raise RegistryError(_("利用中の利用者だけが利用停止にできます。"), code="wrong_state")
    subscriber.status = Subscriber.Status.SUSPENDED
    subscriber.status_reason = reason
    subscriber.save(update_fields=["status", "status_reason"])
    audit.record("registry.subscriber.suspended", actor=actor, subject=subscriber, reason=reason)
    _mail_on_commit(subscriber, "suspended", {"reason": reason})
    return subscriber


@service("registry.subscriber.reinstate")
def reinstate_subscriber(subscriber: Subscriber, *, actor: Actor, reason: str) -> Subscriber:
    if not reason.strip():
        raise RegistryError(_("利用再開の理由を入力してください。"), code="reason_missing")
    subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
    if subscriber.status != Subscriber.Status.SUSPENDED:
        raise RegistryError(_("利用停止中の利用者だけが再開できます。"), code="wrong_state")
    subscriber.status = Subscriber.Status.ACTIVE
    subscriber.status_reason = reason
    subscriber.save(update_fields=["status", "status_reason"])
    audit.record("registry.subscriber.reinstated", actor=actor, subject=subscriber, reason=reason)
    _mail_on_commit(subscriber, "reinstated", {"reason": reason})
    return subscriber


@service("registry.subscriber.terminate")
def terminate_subscriber(
    subscriber: Subscriber, *, actor: Actor, reason: str, ended_on: date | None = None
) -> Subscriber:
    """End the contract. Stored delegations are untouched; the retention period (§6.2.9) and the
    deletion schedule of personal data (§2.8(10)) run from the end date."""
    if not reason.strip():
        raise RegistryError(_("契約終了の理由を入力してください。"), code="reason_missing")
    subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
    if subscriber.status not in (Subscriber.Status.ACTIVE, Subscriber.Status.SUSPENDED):
        raise RegistryError(_("利用中または利用停止中の契約だけが終了できます。"), code="wrong_state")
    ended_on = ended_on or timezone.localdate()
    subscriber.status = Subscriber.Status.TERMINATED
    subscriber.status_reason = reason
    subscriber.terminated_on = ended_on
    subscriber.retention_until = contract.retention_until(ended_on)
    subscriber.deletion_scheduled_on = date.fromordinal(subscriber.retention_until.toordinal() + 1)
    subscriber.save(
        update_fields=["status", "status_reason", "terminated_on", "retention_until", "deletion_scheduled_on"]
    )
    audit.record(
        "registry.subscriber.terminated",
        actor=actor,
        subject=subscriber,
        reason=reason,
        terminated_on=ended_on,
        retention_until=subscriber.retention_until,
        deletion_scheduled_on=subscriber.deletion_scheduled_on,
    )
    _mail_on_commit(subscriber, "terminated", {"reason": reason})
    return subscriber


# --- colleagues (registry.members, shared with the recipients' members) ----------------------------


def _subscribers() -> Any:
    from registry import members

    return members.Team(
        membership=Membership,
        invitation=Invitation,
        org_field="subscriber",
        account_kind="subscriber",
        app="registry",
        audience=_("利用者"),
        closed=lambda org: org.status in (Subscriber.Status.REJECTED, Subscriber.Status.TERMINATED),
        flags=("may_revoke",),
    )


def invite_member(subscriber: Subscriber, *, actor: User, email: str, accept_url: Callable[[str], str]) -> Invitation:
    """Invite a colleague by e-mail; ``accept_url(token)`` builds the absolute link for the mail."""
    from registry import members

    return members.invite(_subscribers(), subscriber, actor=actor, email=email, accept_url=accept_url)


def invitation_for_token(token: str) -> Invitation | None:
    from registry import members

    return members.invitation_for_token(_subscribers(), token)


def accept_invitation(invitation: Invitation, *, actor: User) -> Membership:
    from registry import members

    return members.accept(_subscribers(), invitation, actor=actor)


def revoke_invitation(invitation: Invitation, *, actor: User) -> Invitation:
    from registry import members

    return members.revoke_invitation(_subscribers(), invitation, actor=actor)


def set_member_role(membership: Membership, *, actor: User, administrator: bool, may_revoke: bool) -> Membership:
    """An administrator decides who administers and who may revoke delegations."""
    from registry import members

    return members.set_role(_subscribers(), membership, actor=actor, administrator=administrator, may_revoke=may_revoke)


def remove_member(membership: Membership, *, actor: User, reason: str) -> None:
    from registry import members

    members.remove(_subscribers(), membership, actor=actor, reason=reason)


# --- personal-data requests (§2.8(6)(7)), handled by reception --------------------------------------


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


# --- mail ------------------------------------------------------------------------------------------

MAIL_SUBJECTS = {
    "applied": _("利用申込を受け付けました"),
    "approved": _("利用申込を承認しました"),
    "rejected": _("利用申込を承認できませんでした"),
    "returned": _("申込内容の確認をお願いします"),
    "change_submitted": _("変更届を受け付けました"),
    "change_approved": _("変更届を承認しました"),
    "change_rejected": _("変更届を承認できませんでした"),
    "renewal_reminder": _("契約期間の終了が近づいています"),
    "renewed": _("契約を更新しました"),
    "suspended": _("ご利用を停止しました"),
    "reinstated": _("ご利用を再開しました"),
    "terminated": _("契約を終了しました"),
    "same_number_applied": _("同じ法人番号で利用申込がありました"),
}


def review_days() -> int:
    """The days reception aims to decide an application or change within (the queue's overdue mark)."""
    return int(settings.STAFF_QUEUE_OVERDUE_DAYS.get("subscriber_review", 3))


def _receipt_of(facts: SubscriberFacts) -> dict[str, Any]:
    """What a mail about a received application or change says of its receipt."""
    link = settings.SERVICE_BASE_URL.rstrip("/") + reverse("registry:receipt", kwargs={"version": facts.version})
    return {"reception_number": facts.reception_number, "review_days": review_days(), "receipt_link": link}


def _mail_on_commit(
    subscriber: Subscriber, what: str, extra: dict[str, Any], *, recipients: list[str] | None = None
) -> None:
    """Mail ``recipients`` (every member when None) about ``subscriber`` once committed."""
    if recipients is None:
        recipients = list(subscriber.memberships.values_list("user__email", flat=True))
    if not recipients:
        return
    ctx = {
        "what": what,
        "organisation": str(subscriber),
        "status": subscriber.get_status_display(),
        "contract_end": subscriber.contract_end,
        "link": settings.SERVICE_BASE_URL.rstrip("/") + reverse("registry:home"),
        "SERVICE_NAME": settings.SERVICE_NAME,
        **extra,
    }
    subject = f"【{settings.SERVICE_NAME}】{MAIL_SUBJECTS[what]}"
    body = render_to_string("registry/email/notice.txt", ctx)
    transaction.on_commit(lambda: send_mail(subject, body, None, recipients))
