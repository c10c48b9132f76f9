"""Every state change of a delegation (docs/architecture.md §3): draft, finalise, submit signed files, confirm,
activate (superseding the delegation it replaces), reject, update, revoke.

Each function is named by verb, takes a keyword-only ``actor``, runs in one transaction with its
audit event inside, and raises :class:`DelegationError` (a translated, user-safe message). A refused
action is recorded with ``audit.record_refused`` after its own transaction rolled back, so nothing
else is stored. E-mail goes out on commit.

Rows are locked (``select_for_update``) before any check that a concurrent request could falsify:
of two concurrent updates or revocations of the same delegation exactly one wins; the other sees the
state the winner left and gets a clear message.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

import audit
from delegations import trust
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
from delegations.models import Delegation, QualificationCheck, RevocationRequest, SignedFile
from delegations.signals import delegation_ended
from delegations.signatures import SignatureReport, VerificationPolicy, verify
from delegations.standing import today_in_japan
from kernel import Actor, ServiceError, service
from mynatrust import mail_limits
from mynatrust.lib import delegation_id as delegation_ids
from mynatrust.lib.pdf_content import PdfContentError, active_content
from mynatrust.roles import holds
from registry import reception
from registry.matching import MatchResult, Verdict, match_identity
from registry.models import Subscriber

if TYPE_CHECKING:
    from mynatrust.models import User

DRAFT_FIELDS = (
    "agent_name",
    "agent_title",
    "agent_qualification",
    "agent_address",
    "agent_identifier_kind",
    "agent_identifier",
    "powers",
    "limitations",
    "valid_from",
    "valid_until",
)


class DelegationError(ServiceError):
    """A refused delegation action; ``message`` is translated and safe to show to the user."""


def _lock(delegation: Delegation) -> Delegation:
    # Lock order is always the delegation an update replaces first, then the successor: activating a
    # successor and revoking its original, at once, then wait for each other instead of deadlocking.
    if delegation.replaces_id:
        Delegation.objects.select_for_update(of=("self",)).filter(pk=delegation.replaces_id).values_list("pk").first()
    # The generated documents (tens of KB) stay unread unless a service assigns them.
    return (
        Delegation.objects.select_for_update(of=("self",))
        .select_related("subscriber")
        .defer("xml", "pdf", "acceptance_xml", "acceptance_pdf")
        .get(pk=delegation.pk)
    )


def _require_status(delegation: Delegation, *allowed: str, message: Any = None) -> None:
    if delegation.status not in allowed:
        raise DelegationError(
            message
            or _("この電子委任状は現在「%(status)s」のため、この操作はできません。")
            % {"status": delegation.get_status_display()},
            code="wrong_state",
        )


def _require_may_submit(subscriber: Subscriber) -> None:
    refusal = subscriber.submission_refusal()
    if refusal:
        raise DelegationError(refusal, code="subscriber_may_not_submit")


# --- drafts ----------------------------------------------------------------------------------------------


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


@service("delegations.draft.create")
def create_draft(subscriber: Subscriber, *, actor: User, values: dict[str, Any]) -> Delegation:
    _require_may_submit(subscriber)
    principal_of(subscriber)
    check_draft_values(values)
    delegation = Delegation.objects.create(
        subscriber=subscriber, created_by=actor, **{k: values.get(k) or "" for k in DRAFT_FIELDS}
    )
    audit.record("delegations.draft.created", actor=actor, subject=delegation, subscriber=subscriber.public_id)
    return delegation


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


# --- signed files ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Submission:
    """What ``submit_signed_file`` decided: the stored file, and whether the delegation is now active."""

    signed_file: SignedFile
    delegation: Delegation

    @property
    def activated(self) -> bool:
        return self.delegation.status == Delegation.Status.ACTIVE


ROLE_NAMES: dict[str, Any] = {SignedFile.Role.PRINCIPAL: _("委任者（代表者）"), SignedFile.Role.AGENT: _("受任者")}
FIELD_NAMES = {"name": _("氏名"), "address": _("住所")}


def _flags(positions: list[int] | None, text: str) -> str:
    marked = set(positions or [])
    return "".join("1" if i in marked else "0" for i in range(len(text)))


def _match(delegation: Delegation, role: str, signer: dict[str, Any]) -> MatchResult:
    name = signer.get("name") or ""
    address = signer.get("address") or ""
    if role == SignedFile.Role.PRINCIPAL:
        registered = delegation.subscriber.registered_representative()
        if registered is None:
            raise DelegationError(_("代表者の登記情報が確認されていません。"), code="no_registered_representative")
        return match_identity(
            expected_name=registered[0],
            expected_address=registered[1],
            certificate_name=name,
            certificate_name_flags=_flags(signer.get("name_substitutes"), name),
            certificate_address=address,
            certificate_address_flags=_flags(signer.get("address_substitutes"), address),
        )
    return match_identity(
        expected_name=delegation.agent_name,
        certificate_name=name,
        certificate_name_flags=_flags(signer.get("name_substitutes"), name),
    )


def _mismatch(role: str, result: MatchResult) -> DelegationError:
    details = [
        str(
            _("%(field)s：登録内容「%(expected)s」／証明書「%(actual)s」")
            % {"field": FIELD_NAMES.get(field, field), "expected": d.expected, "actual": d.actual}
        )
        for field, d in result.differences
    ] or [str(_("氏名または住所が一致しません。"))]
    if role == SignedFile.Role.PRINCIPAL:
        message = _("署名した人が、登録されている代表者と一致しません。")
    else:
        message = _("署名した人が、電子委任状に記載された受任者と一致しません。")
    return DelegationError(message, code="identity_mismatch", details=details)


def _wrong_document(report: SignatureReport, expected_sha256: str) -> DelegationError | None:
    actual = (report.signed_content_sha256 or "").lower()
    if actual and hmac.compare_digest(actual, expected_sha256):
        return None
    return DelegationError(
        _(
            "署名されている内容が、この電子委任状のために作成した文書と一致しません。"
            "この画面からダウンロードしたファイルに、そのまま署名してください。"
        ),
        code="wrong_document",
    )


def _active_pdf(report: SignatureReport, data: bytes) -> DelegationError | None:
    """A signed PDF that runs something when opened. The service's own PDF carries none (only the
    XML as an attachment); a script added before signing is signed too, so the signature does
    not reveal it."""
    if report.container != "pades":
        return None
    try:
        found = active_content(data, allow_attachments=True)
    except PdfContentError:  # the verifier read this file; a walk that cannot finish is refused all the same
        found = ["unreadable"]
    if not found:
        return None
    return DelegationError(
        _(
            "署名済みPDFにスクリプトや外部プログラムの起動などの動作が含まれています。"
            "この画面からダウンロードしたPDFに、そのまま署名してください。"
        ),
        code="active_content",
    )


def submit_signed_file(
    delegation: Delegation,
    data: bytes,
    *,
    actor: User,
    role: str,
    file_name: str = "",
    content: bytes | None = None,
    policy: VerificationPolicy | None = None,
) -> Submission:
    """Verify a signed file (the principal's delegation or the agent's acceptance) and store it.

    Verified before any lock (the signature check is the slow part); then, under the row lock,
    the state, the signed content's digest and the signer's identity decide. ``content``: for a
    detached CMS, the XML that was signed (the stored XML when omitted)."""
    sha256 = hashlib.sha256(data).hexdigest()
    report: SignatureReport | None = None
    try:
        if role not in SignedFile.Role.values:
            raise DelegationError(_("署名済みファイルの種類が正しくありません。"), code="bad_role")
        if not data:
            raise DelegationError(_("ファイルが空です。"), code="empty")
        if len(data) > settings.MAX_UPLOAD_SIZE or (content is not None and len(content) > settings.MAX_UPLOAD_SIZE):
            raise DelegationError(
                _("ファイルが大きすぎます（上限 %(mb)s MB）。") % {"mb": settings.MAX_UPLOAD_SIZE // (1024 * 1024)},
                code="too_large",
            )
        if SignedFile.objects.filter(delegation=delegation, role=role).exists():
            raise DelegationError(_("この署名済みファイルは既に受け付けています。"), code="already_stored")
        _require_status(
            delegation,
            Delegation.Status.AWAITING_SIGNATURES,
            message=_("この電子委任状は署名済みファイルを受け付ける状態ではありません。"),
        )
        expected = bytes((delegation.xml if role == SignedFile.Role.PRINCIPAL else delegation.acceptance_xml) or b"")
        expected_sha256 = delegation.xml_sha256 if role == SignedFile.Role.PRINCIPAL else delegation.acceptance_sha256
        report = verify(
            data,
            policy
            or trust.verification_policy(document="acceptance" if role == SignedFile.Role.AGENT else "delegation"),
            content=content if content is not None else expected,
        )
        if not report.passed:
            raise DelegationError(report.message, code=f"signature_{(report.sub_indication or 'failed').lower()}")
        wrong = _wrong_document(report, expected_sha256) or _active_pdf(report, data)
        if wrong is not None:
            raise wrong
        signer = report.signer or {}
        result = _match(delegation, role, signer)
        if result.verdict == Verdict.MISMATCH:
            raise _mismatch(role, result)
        with transaction.atomic():
            locked = _lock(delegation)
            _require_status(
                locked,
                Delegation.Status.AWAITING_SIGNATURES,
                message=_("この電子委任状は署名済みファイルを受け付ける状態ではありません。"),
            )
            _require_may_submit(locked.subscriber)
            stored = dict(SignedFile.objects.filter(delegation=locked).values_list("role", "match_verdict"))
            if role in stored:
                raise DelegationError(_("この署名済みファイルは既に受け付けています。"), code="already_stored")
            signed = _store(
                locked, role, data, sha256, report, result, actor=actor, file_name=file_name, content=content
            )
            stored[role] = signed.match_verdict
            if set(stored) != set(SignedFile.Role.values):
                _notify(locked, "stored", role=str(ROLE_NAMES[role]))
            else:
                locked.status = Delegation.Status.SUBMITTED
                locked.submitted_at = timezone.now()
                locked.reception_number = reception.next_number(reception.DELEGATION)
                audit.record(
                    "delegations.delegation.submitted",
                    actor=actor,
                    subject=locked,
                    reception_number=locked.reception_number,
                )
                # Activation saves the row once; otherwise it waits for reception (one notice).
                if not _activate_if_ready(locked, actor=actor, verdicts=list(stored.values())):
                    locked.save(update_fields=["status", "submitted_at", "reception_number", "updated_at"])
                    _notify(locked, "submitted")
            return Submission(signed, locked)
    except DelegationError as exc:
        audit.record_refused(
            "delegations.signed_file.refused",
            actor=actor,
            subject=delegation,
            role=role,
            code=exc.code,
            reason=exc.message,
            details=exc.details,
            sha256=sha256,
            size=len(data),
            indication=report.indication.value if report else None,
            sub_indication=report.sub_indication.value if report and report.sub_indication else None,
        )
        _notify(
            delegation, "refused", reason="\n".join([exc.message, *exc.details]), role=str(ROLE_NAMES.get(role, ""))
        )
        raise


def _store(
    delegation: Delegation,
    role: str,
    data: bytes,
    sha256: str,
    report: SignatureReport,
    result: MatchResult,
    *,
    actor: User,
    file_name: str,
    content: bytes | None,
) -> SignedFile:
    signer = report.signer or {}
    birth = signer.get("birth_date") or {}
    chain = report.chain
    # Under the delegation's row lock: a concurrent upload of the same role waits, then sees this one.
    signed = SignedFile.objects.create(
        delegation=delegation,
        role=role,
        container=report.container,
        file_name=file_name[:200],
        data=data,
        detached_content=content if report.container == "cms" else None,
        sha256=sha256,
        size=len(data),
        report=report.to_dict(),
        signer_certificate_der=chain[0].der if chain else b"",
        signer_serial=signer.get("serial") or "",
        signer_name=signer.get("name") or "",
        signer_address=signer.get("address") or "",
        signer_birth_date=str(birth.get("date") or birth.get("raw") or ""),
        revocation=report.revocation or {},
        match=result.as_dict(),
        match_verdict=result.verdict.value,
        uploaded_by=actor,
    )
    audit.record(
        "delegations.signed_file.stored",
        actor=actor,
        subject=delegation,
        role=role,
        container=report.container,
        sha256=sha256,
        signer_serial=signed.signer_serial,
        match=result.verdict.value,
    )
    return signed


# --- activation, reception -------------------------------------------------------------------------------


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
                _("変更元の電子委任状（%(id)s）は既に「%(status)s」のため、この変更は有効にできません。")
                % {"id": predecessor.delegation_id, "status": predecessor.get_status_display()},
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


# --- update and revocation -------------------------------------------------------------------------------


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


# --- the acceptance mailed to the agent -------------------------------------------------------------

ACCEPTANCE_LINK_SALT = "delegations.acceptance-link"


def acceptance_link_token(delegation: Delegation) -> str:
    return signing.dumps(delegation.public_id, salt=ACCEPTANCE_LINK_SALT, compress=True)


def delegation_for_acceptance_link(token: str) -> Delegation | None:
    """The delegation a mailed link names, while the link is genuine and not older than
    ``ACCEPTANCE_LINK_DAYS``; None otherwise."""
    try:
        public_id = signing.loads(
            token, salt=ACCEPTANCE_LINK_SALT, max_age=timedelta(days=settings.ACCEPTANCE_LINK_DAYS)
        )
    except signing.BadSignature:
        return None
    return Delegation.objects.select_related("subscriber").filter(public_id=public_id).first()


def send_acceptance_to_agent(delegation: Delegation, *, actor: Actor, email: str) -> Delegation:
    """Mail the agent a link to the acceptance to sign (§4.1.1(3)), while the service waits for it.
    The member types the address: the mail is counted first like every mail others cause
    (mynatrust.mail_limits, which records a refusal itself, outside the transaction)."""
    if not mail_limits.allow(mail_limits.AGENT_ACCEPTANCE, to=email, account=actor):
        raise DelegationError(mail_limits.REFUSED, code="mail_limited", field="email")
    return _send_acceptance_to_agent(delegation, actor=actor, email=email)


@service("delegations.acceptance.send")
def _send_acceptance_to_agent(delegation: Delegation, *, actor: Actor, email: str) -> Delegation:
    _require_status(
        delegation,
        Delegation.Status.AWAITING_SIGNATURES,
        message=_("受諾書を送れるのは、確定して署名を待っている電子委任状だけです。"),
    )
    if SignedFile.objects.filter(delegation=delegation, role=SignedFile.Role.AGENT).exists():
        raise DelegationError(_("受任者の受諾書は既に受け付けています。"), code="already_stored")
    link = settings.SERVICE_BASE_URL.rstrip("/") + reverse(
        "delegations:acceptance_link", kwargs={"token": acceptance_link_token(delegation)}
    )
    audit.record("delegations.acceptance.sent", actor=actor, subject=delegation, to=email)
    ctx = {
        "delegation": delegation,
        "organisation": str(delegation.subscriber),
        "link": link,
        "days": settings.ACCEPTANCE_LINK_DAYS,
        "SERVICE_NAME": settings.SERVICE_NAME,
    }
    subject = f"【{settings.SERVICE_NAME}】{_('電子委任状の受諾書への署名のお願い')}"
    body = render_to_string("delegations/email/acceptance.txt", ctx)
    transaction.on_commit(lambda: send_mail(subject, body, None, [email]))
    return delegation


# --- records of access -----------------------------------------------------------------------------------


def record_export(subscriber: Subscriber, *, actor: Actor, rows: int, filters: dict[str, Any]) -> None:
    audit.record(
        "delegations.list.exported",
        actor=actor,
        subscriber=subscriber.public_id,
        rows=rows,
        filters={k: str(v) for k, v in filters.items() if v},
    )


def record_download(delegation: Delegation, *, actor: Actor, what: str) -> None:
    audit.record("delegations.file.downloaded", actor=actor, subject=delegation, what=what)


# --- notices ---------------------------------------------------------------------------------------------

MAIL_SUBJECTS = {
    "stored": _("署名済みファイルを受け付けました"),
    "refused": _("署名済みファイルを受け付けられませんでした"),
    "submitted": _("電子委任状の署名がそろいました"),
    "activated": _("電子委任状を登録しました"),
    "rejected": _("電子委任状を受理できませんでした"),
    "revoked": _("電子委任状を取り消しました"),
}


# The notices a subscriber can keep as PDF (delegations/notices.py), by the mail that announces them.
NOTICES = {"activated": "registered", "revoked": "revoked"}


def _notify(delegation: Delegation, what: str, **extra: Any) -> None:
    """E-mail the subscriber's members after commit (at once when no transaction is open)."""
    subscriber = delegation.subscriber
    recipients = list(subscriber.memberships.values_list("user__email", flat=True))
    if not recipients:
        return
    ctx = {
        "what": what,
        "organisation": str(subscriber),
        "delegation": delegation,
        "standing": delegation.status_for(timezone.now()),
        "link": settings.SERVICE_BASE_URL.rstrip("/")
        + reverse("delegations:detail", kwargs={"public_id": delegation.public_id}),
        "notice_link": settings.SERVICE_BASE_URL.rstrip("/")
        + reverse("delegations:notice", kwargs={"public_id": delegation.public_id, "what": NOTICES[what]})
        if what in NOTICES
        else "",
        "SERVICE_NAME": settings.SERVICE_NAME,
        **extra,
    }
    subject = f"【{settings.SERVICE_NAME}】{MAIL_SUBJECTS[what]}"
    body = render_to_string("delegations/email/notice.txt", ctx)
    transaction.on_commit(lambda: send_mail(subject, body, None, recipients))
