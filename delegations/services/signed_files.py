"""Signed files: verify an upload, match its signer against the delegation, store it."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

import audit
from delegations import trust
from delegations.models import Delegation, SignedFile
from delegations.services.common import DelegationError, _lock, _require_may_submit, _require_status
from delegations.services.notices import _notify
from delegations.services.reception import _activate_if_ready
from delegations.signatures import SignatureReport, VerificationPolicy, verify
from kernel.services import record_refusal
from mynatrust.lib.pdf_content import PdfContentError, active_content
from registry import reception
from registry.matching import MatchResult, Verdict, match_identity

if TYPE_CHECKING:
    from mynatrust.models import User


@dataclass(frozen=True)
class Submission:
    """What ``submit_signed_file`` decided: the stored file, and whether the delegation is now active."""

    signed_file: SignedFile
    delegation: Delegation

    @property
    def activated(self) -> bool:
        return self.delegation.status == Delegation.Status.ACTIVE


ROLE_NAMES: dict[str, Any] = {SignedFile.Role.PRINCIPAL: _("委任者（代表者）"), SignedFile.Role.AGENT: _("受任者")}
NOT_ACCEPTING = _("この電子委任状は署名済みファイルを受け付ける状態ではありません。")

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
    detached CMS, the XML that was signed (the stored XML when omitted). A refusal is recorded with
    the file's digest and the verification's verdict, and the subscriber is told."""
    sha256 = hashlib.sha256(data).hexdigest()
    report: SignatureReport | None = None
    try:
        _check_upload(delegation, data, role=role, content=content)
        report = _verified(delegation, data, role=role, content=content, policy=policy)
        result = _signer_match(delegation, data, role=role, report=report)
        return _accept(
            delegation,
            data,
            sha256,
            role=role,
            report=report,
            result=result,
            actor=actor,
            file_name=file_name,
            content=content,
        )
    except DelegationError as exc:
        record_refusal(
            "delegations.signed_file.refused",
            exc,
            actor=actor,
            subject=delegation,
            role=role,
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


def _check_upload(delegation: Delegation, data: bytes, *, role: str, content: bytes | None) -> None:
    """What can be refused before reading the signature: the kind, the size, a file already stored,
    the delegation's state."""
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
    _require_status(delegation, Delegation.Status.AWAITING_SIGNATURES, message=NOT_ACCEPTING)


def _verified(
    delegation: Delegation, data: bytes, *, role: str, content: bytes | None, policy: VerificationPolicy | None
) -> SignatureReport:
    """The signature's report, when it passed: over the document this role signs."""
    expected = bytes((delegation.xml if role == SignedFile.Role.PRINCIPAL else delegation.acceptance_xml) or b"")
    report = verify(
        data,
        policy or trust.verification_policy(document="acceptance" if role == SignedFile.Role.AGENT else "delegation"),
        content=content if content is not None else expected,
    )
    if not report.passed:
        raise DelegationError(report.message, code=f"signature_{(report.sub_indication or 'failed').lower()}")
    return report


def _signer_match(delegation: Delegation, data: bytes, *, role: str, report: SignatureReport) -> MatchResult:
    """The signed document is this delegation's, carries no active content, and its signer is not
    someone else than the person the delegation names."""
    expected_sha256 = delegation.xml_sha256 if role == SignedFile.Role.PRINCIPAL else delegation.acceptance_sha256
    wrong = _wrong_document(report, expected_sha256) or _active_pdf(report, data)
    if wrong is not None:
        raise wrong
    result = _match(delegation, role, report.signer or {})
    if result.verdict == Verdict.MISMATCH:
        raise _mismatch(role, result)
    return result


def _accept(
    delegation: Delegation,
    data: bytes,
    sha256: str,
    *,
    role: str,
    report: SignatureReport,
    result: MatchResult,
    actor: User,
    file_name: str,
    content: bytes | None,
) -> Submission:
    """Under the row lock: store the file; with both files in, submit the delegation and activate it
    when nothing waits for reception."""
    with transaction.atomic():
        locked = _lock(delegation)
        _require_status(locked, Delegation.Status.AWAITING_SIGNATURES, message=NOT_ACCEPTING)
        _require_may_submit(locked.subscriber)
        stored = dict(SignedFile.objects.filter(delegation=locked).values_list("role", "match_verdict"))
        if role in stored:
            raise DelegationError(_("この署名済みファイルは既に受け付けています。"), code="already_stored")
        signed = _store(locked, role, data, sha256, report, result, actor=actor, file_name=file_name, content=content)
        stored[role] = signed.match_verdict
        if set(stored) != set(SignedFile.Role.values):
            _notify(locked, "stored", role=str(ROLE_NAMES[role]))
            return Submission(signed, locked)
        locked.status = Delegation.Status.SUBMITTED
        locked.submitted_at = timezone.now()
        locked.reception_number = reception.next_number(reception.DELEGATION)
        audit.record(
            "delegations.delegation.submitted", actor=actor, subject=locked, reception_number=locked.reception_number
        )
        # Activation saves the row once; otherwise it waits for reception (one notice).
        if not _activate_if_ready(locked, actor=actor, verdicts=list(stored.values())):
            locked.save(update_fields=["status", "submitted_at", "reception_number", "updated_at"])
            _notify(locked, "submitted")
        return Submission(signed, locked)


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
