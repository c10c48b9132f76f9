"""Trust anchors and revocation data: the state-changing services, and the verification policy
built from them for the pure verifiers in ``delegations.signatures``.

Every change is atomic and records its audit event in the same transaction; a refused change is
recorded too, outside the rolled-back work. Anchor additions and removals follow the 4-eyes rule:
one staff member requests, a different one approves.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

import audit
from delegations.models import AnchorChange, RevocationList, RevokedSerial, TrustAnchor
from delegations.signatures import revocation as rev
from delegations.signatures.profile import fingerprint
from delegations.signatures.testpki import is_test_pki_certificate
from delegations.signatures.verify import VerificationPolicy
from kernel import Actor, ServiceError, service
from kernel.services import record_refusal
from mynatrust.roles import holds

if TYPE_CHECKING:
    from mynatrust.models import User


class TrustError(ServiceError):
    """A refused trust-data change; ``message`` is translated and safe to show."""

    def __init__(self, message: Any, code: str) -> None:
        super().__init__(message, code=code)


def read_file(path: str) -> bytes:
    """An operator's file for a trust-data change (an anchor, a CRL); one that cannot be read is
    refused like any other trust-data change (code ``unreadable``)."""
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise TrustError(_("ファイルを読めません：%(error)s") % {"error": exc}, "unreadable") from exc


def _refuse(event: str, message: Any, code: str, *, actor: Actor, subject: Any = None, **data: Any) -> TrustError:
    """A refusal recorded now with what the generic record lacks (``data``), so the service's own
    decorator does not record it again."""
    error = TrustError(message, code)
    record_refusal(event, error, actor=actor, subject=subject, **data)
    return error


def _require(actor: Actor, perm: str, event: str, *, subject: Any = None, **data: Any) -> None:
    """The actor's role must grant ``perm``, whatever the entry point (admin or command line)."""
    if not holds(actor, perm):
        raise _refuse(
            event, _("この操作を行う権限がありません。"), "not_permitted", actor=actor, subject=subject, **data
        )


def load_certificate_file(data: bytes) -> x509.Certificate:
    try:
        if b"-----BEGIN" in data:
            return x509.load_pem_x509_certificate(data)
        return x509.load_der_x509_certificate(data)
    except ValueError as exc:
        raise TrustError(_("証明書（PEM または DER）として読み取れません。"), "not_a_certificate") from exc


def _is_self_signed_ca(cert: x509.Certificate) -> bool:
    try:
        if not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca:
            return False
    except x509.ExtensionNotFound:
        return False
    return cert.issuer == cert.subject and rev.verify_issued_by(cert, cert)


# --- trust anchors ------------------------------------------------------------------------------------
def anchor_candidate(data: bytes) -> x509.Certificate:
    """The certificate in ``data`` if it could become an anchor (forms call this to show errors early)."""
    cert = load_certificate_file(data)
    if not _is_self_signed_ca(cert):
        raise TrustError(_("自己署名の CA 証明書ではないため、トラストアンカーにできません。"), "not_a_root")
    if settings.PRODUCTION and is_test_pki_certificate(cert):
        raise TrustError(_("テスト用 PKI のルート証明書は本番環境では登録できません。"), "test_pki_in_production")
    if (
        TrustAnchor.objects.filter(fingerprint_sha256=fingerprint(cert))
        .exclude(status__in=[TrustAnchor.Status.REMOVED, TrustAnchor.Status.REJECTED])
        .exists()
    ):
        raise TrustError(_("この証明書はすでに登録されているか、承認待ちです。"), "duplicate")
    return cert


@service("delegations.trust_anchor.add")
def request_anchor_addition(
    data: bytes, *, actor: User, reason: str = "", label: str = "", purpose: str = TrustAnchor.Purpose.SIGNING
) -> AnchorChange:
    """Request trust in a root: a J-LIS signing CA (``purpose="signing"``) or a time-stamping
    authority's root (``"timestamping"``); another staff member approves (4-eyes) either way."""
    _require(actor, "delegations.add_trustanchor", "delegations.trust_anchor.add_refused")
    try:
        cert = anchor_candidate(data)
    except TrustError as exc:
        record_refusal(
            "delegations.trust_anchor.add_refused", exc, actor=actor, sha256=hashlib.sha256(data).hexdigest().upper()
        )
        raise
    if purpose not in TrustAnchor.Purpose.values:
        raise _refuse(
            "delegations.trust_anchor.add_refused",
            _("トラストアンカーの用途が正しくありません。"),
            "bad_purpose",
            actor=actor,
        )
    fp = fingerprint(cert)
    with transaction.atomic():
        anchor = TrustAnchor.objects.filter(fingerprint_sha256=fp).first()
        if anchor is not None and anchor.status not in (TrustAnchor.Status.REMOVED, TrustAnchor.Status.REJECTED):
            raise TrustError(_("この証明書はすでに登録されているか、承認待ちです。"), "duplicate")
        if anchor is None:
            anchor = TrustAnchor(
                fingerprint_sha256=fp,
                certificate_der=cert.public_bytes(serialization.Encoding.DER),
                subject=cert.subject.rfc4514_string(),
                not_before=cert.not_valid_before_utc,
                not_after=cert.not_valid_after_utc,
                is_test_pki=is_test_pki_certificate(cert),
            )
        anchor.label = label or anchor.label
        anchor.purpose = purpose
        anchor.status = TrustAnchor.Status.ADDITION_PENDING
        anchor.save()
        change = AnchorChange.objects.create(
            anchor=anchor, action=AnchorChange.Action.ADD, reason=reason, requested_by=actor
        )
        audit.record(
            "delegations.trust_anchor.addition_requested",
            actor=actor,
            subject=anchor,
            change=change.pk,
            subject_dn=anchor.subject,
            purpose=anchor.purpose,
            matches_jlis=anchor.matches_jlis,
            is_test_pki=anchor.is_test_pki,
            reason=reason,
        )
    return change


@service("delegations.trust_anchor.remove")
def request_anchor_removal(anchor: TrustAnchor, *, actor: User, reason: str = "") -> AnchorChange:
    _require(actor, "delegations.change_trustanchor", "delegations.trust_anchor.remove_refused", subject=anchor)
    with transaction.atomic():
        anchor = TrustAnchor.objects.select_for_update().get(pk=anchor.pk)
        if anchor.status != TrustAnchor.Status.ACTIVE:
            raise TrustError(_("有効なトラストアンカーだけを削除申請できます。"), "not_active")
        anchor.status = TrustAnchor.Status.REMOVAL_PENDING
        anchor.save(update_fields=["status"])
        change = AnchorChange.objects.create(
            anchor=anchor, action=AnchorChange.Action.REMOVE, reason=reason, requested_by=actor
        )
        audit.record(
            "delegations.trust_anchor.removal_requested", actor=actor, subject=anchor, change=change.pk, reason=reason
        )
    return change


def _decide(change: AnchorChange, *, actor: User, approve: bool, note: str = "") -> AnchorChange:
    verb = "approve" if approve else "reject"
    _require(
        actor,
        "delegations.approve_anchorchange",
        f"delegations.trust_anchor.{verb}_refused",
        subject=change.anchor,
        change=change.pk,
    )
    if change.requested_by_id == getattr(actor, "pk", None):
        raise _refuse(
            f"delegations.trust_anchor.{verb}_refused",
            _("申請した本人は承認・却下できません。別の職員が判断してください。"),
            "four_eyes",
            actor=actor,
            subject=change.anchor,
            change=change.pk,
        )
    with transaction.atomic():
        change = AnchorChange.objects.select_for_update().select_related("anchor").get(pk=change.pk)
        if change.decision != AnchorChange.Decision.PENDING:
            raise TrustError(_("この申請はすでに判断済みです。"), "already_decided")
        anchor = change.anchor
        change.decision = AnchorChange.Decision.APPROVED if approve else AnchorChange.Decision.REJECTED
        change.decided_by = actor
        change.decided_at = timezone.now()
        change.save(update_fields=["decision", "decided_by", "decided_at"])
        if change.action == AnchorChange.Action.ADD:
            anchor.status = TrustAnchor.Status.ACTIVE if approve else TrustAnchor.Status.REJECTED
        else:
            anchor.status = TrustAnchor.Status.REMOVED if approve else TrustAnchor.Status.ACTIVE
        anchor.save(update_fields=["status"])
        audit.record(
            f"delegations.trust_anchor.{change.action}_{'approved' if approve else 'rejected'}",
            actor=actor,
            subject=anchor,
            change=change.pk,
            requested_by=str(change.requested_by_id),
            status=anchor.status,
            **({"note": note} if note else {}),
        )
    return change


@service("delegations.trust_anchor.approve")
def approve_anchor_change(change: AnchorChange, *, actor: User, note: str = "") -> AnchorChange:
    return _decide(change, actor=actor, approve=True, note=note)


@service("delegations.trust_anchor.reject")
def reject_anchor_change(change: AnchorChange, *, actor: User, note: str = "") -> AnchorChange:
    return _decide(change, actor=actor, approve=False, note=note)


def install_demo_anchor(cert_der: bytes, *, purpose: str = TrustAnchor.Purpose.SIGNING) -> TrustAnchor:
    """Demo only: trust the test PKI root (or its TSA root) without a second approver."""
    if settings.PRODUCTION or not settings.DEMO_MODE:
        raise TrustError(_("デモモード以外ではテスト用ルートを登録できません。"), "not_demo")
    cert = x509.load_der_x509_certificate(cert_der)
    fp = fingerprint(cert)
    with transaction.atomic():
        anchor, created = TrustAnchor.objects.get_or_create(
            fingerprint_sha256=fp,
            defaults={
                "certificate_der": cert_der,
                "subject": cert.subject.rfc4514_string(),
                "not_before": cert.not_valid_before_utc,
                "not_after": cert.not_valid_after_utc,
                "is_test_pki": True,
                "label": "テスト用 PKI（デモ）"
                if purpose == TrustAnchor.Purpose.SIGNING
                else "テスト用時刻認証局（デモ）",
                "purpose": purpose,
                "status": TrustAnchor.Status.ACTIVE,
            },
        )
        if created:
            audit.record("delegations.trust_anchor.demo_installed", actor=audit.SYSTEM, subject=anchor)
    return anchor


# --- CRL import ------------------------------------------------------------------------------------------
@dataclass
class CRLImport:
    crl: RevocationList | None
    entries: int
    crl_number: int | None
    this_update: datetime
    next_update: datetime | None
    seconds: float
    dry_run: bool


CRL_IMPORT_REFUSED = "delegations.crl.import_refused"


def _crl_refusal(message: Any, code: str, *, actor: Actor, sha256: str) -> TrustError:
    return _refuse(CRL_IMPORT_REFUSED, message, code, actor=actor, sha256=sha256)


@service("delegations.crl.import")
def import_crl(data: bytes, *, actor: Actor, dry_run: bool = False, now: datetime | None = None) -> CRLImport:
    """Check a CRL (issuer is an active anchor, signature, freshness, newer than the current one) and
    store its entries in the indexed table; the previous CRL's entries are dropped."""
    started = time.monotonic()
    if actor != audit.SYSTEM:  # the system imports what it fetched itself; a person needs the role
        _require(actor, "delegations.add_revocationlist", CRL_IMPORT_REFUSED)
    parsed = _complete_crl(data, actor=actor)
    anchor = _crl_issuer(parsed, actor=actor)
    next_update = _crl_fresh_until(parsed, now or datetime.now(UTC), actor=actor)
    current = _crl_replaced(parsed, anchor, actor=actor)
    entries = [(format(r.serial_number, "X"), r.revocation_date_utc, _reason(r)) for r in parsed.crl]
    stored = None if dry_run else _store_crl(parsed, anchor, current, entries, next_update, actor=actor)
    return CRLImport(
        crl=stored,
        entries=len(entries),
        crl_number=parsed.number,
        this_update=parsed.crl.last_update_utc,
        next_update=next_update,
        seconds=time.monotonic() - started,
        dry_run=dry_run,
    )


def _complete_crl(data: bytes, *, actor: Actor) -> rev.ParsedCRL:
    """The parsed CRL, when it is a full one."""
    try:
        parsed = rev.ParsedCRL.load(data)
    except ValueError as exc:
        sha256 = hashlib.sha256(data).hexdigest().upper()
        raise _crl_refusal(_("CRL として読み取れません。"), "not_a_crl", actor=actor, sha256=sha256) from exc
    # A partitioned or delta CRL covers only part of the issuer's certificates: replacing the current
    # full CRL with it would turn revoked certificates outside its scope into a silent "good".
    for ext_class in (x509.IssuingDistributionPoint, x509.DeltaCRLIndicator):
        try:
            parsed.crl.extensions.get_extension_for_class(ext_class)
        except x509.ExtensionNotFound:
            continue
        raise _crl_refusal(
            _("分割 CRL・差分 CRL には対応していません。完全な CRL を取り込んでください。"),
            "partial_crl",
            actor=actor,
            sha256=parsed.sha256,
        )
    return parsed


def _crl_issuer(parsed: rev.ParsedCRL, *, actor: Actor) -> TrustAnchor:
    """The active anchor that signed it: a signing root's CRL, or a TSA root's (its TSA
    certificates' revocation)."""
    crl = parsed.crl
    anchor = next(
        (
            a
            for a in TrustAnchor.objects.active().filter(subject=crl.issuer.rfc4514_string())
            if rev.verify_issued_by(crl, x509.load_der_x509_certificate(bytes(a.certificate_der)))
        ),
        None,
    )
    if anchor is None:
        raise _crl_refusal(
            _("この CRL の発行者は有効なトラストアンカーではないか、署名が正しくありません。"),
            "untrusted_issuer",
            actor=actor,
            sha256=parsed.sha256,
        )
    return anchor


def _crl_fresh_until(parsed: rev.ParsedCRL, now: datetime, *, actor: Actor) -> datetime:
    """Its nextUpdate, when ``now`` lies between its thisUpdate and nextUpdate."""
    crl = parsed.crl
    problem = rev.crl_freshness(crl.last_update_utc, crl.next_update_utc, now)
    if problem or crl.next_update_utc is None:
        raise _crl_refusal(
            _("この CRL は有効期間外です（nextUpdate を過ぎているか、まだ発行前です）。"),
            problem or "no_next_update",
            actor=actor,
            sha256=parsed.sha256,
        )
    return crl.next_update_utc


def _crl_replaced(parsed: rev.ParsedCRL, anchor: TrustAnchor, *, actor: Actor) -> RevocationList | None:
    """The issuer's current CRL, which this one must be newer than (by CRL number, else by
    thisUpdate); None for a first import."""
    current = RevocationList.objects.current_for(anchor.fingerprint_sha256)
    if RevocationList.objects.filter(sha256=parsed.sha256).exists():
        raise TrustError(_("この CRL はすでに取り込まれています。"), "already_imported")
    if current is not None and (
        parsed.number <= int(current.crl_number)
        if parsed.number is not None and current.crl_number is not None
        else parsed.crl.last_update_utc <= current.this_update
    ):
        raise _crl_refusal(_("現行の CRL より新しくありません。"), "not_newer", actor=actor, sha256=parsed.sha256)
    return current


def _store_crl(
    parsed: rev.ParsedCRL,
    anchor: TrustAnchor,
    current: RevocationList | None,
    entries: list[tuple[str, datetime, str]],
    next_update: datetime,
    *,
    actor: Actor,
) -> RevocationList:
    """The CRL and its entries in place of the current one, in one transaction."""
    with transaction.atomic():
        # Imports for one issuer are serialised on its anchor row; a concurrent import that got in
        # first makes this one stale.
        TrustAnchor.objects.select_for_update().only("pk").get(pk=anchor.pk)
        latest = RevocationList.objects.current_for(anchor.fingerprint_sha256)
        if (latest.pk if latest else None) != (current.pk if current else None):
            raise TrustError(_("別の CRL が同時に取り込まれました。もう一度お試しください。"), "concurrent_import")
        if current is not None:
            RevocationList.objects.filter(pk=current.pk).update(is_current=False)
            RevokedSerial.objects.filter(crl=current).delete()
        stored = RevocationList.objects.create(
            anchor=anchor,
            issuer_fingerprint=anchor.fingerprint_sha256,
            crl_number=parsed.number,
            this_update=parsed.crl.last_update_utc,
            next_update=next_update,
            sha256=parsed.sha256,
            size=len(parsed.der),
            entries=len(entries),
            der=parsed.der,
            imported_by=actor if isinstance(actor, get_user_model()) else None,
        )
        _bulk_insert(stored.pk, entries)
        audit.record(
            "delegations.crl.imported",
            actor=actor,
            subject=stored,
            crl_number=parsed.number,
            entries=len(entries),
            issuer=anchor.fingerprint_sha256,
            this_update=parsed.crl.last_update_utc.isoformat(),
            next_update=next_update.isoformat(),
            replaced=current.sha256 if current else None,
        )
    return stored


def _reason(entry: x509.RevokedCertificate) -> str:
    # Most JPKI entries carry a reason code; reading extensions costs little per entry.
    try:
        return str(entry.extensions.get_extension_for_class(x509.CRLReason).value.reason.name)
    except (x509.ExtensionNotFound, ValueError):
        return ""


def _bulk_insert(crl_id: int, entries: list[tuple[str, datetime, str]]) -> None:
    if connection.vendor == "postgresql":
        # COPY: a million rows in seconds, where INSERT batches take minutes.
        with connection.cursor() as cursor:
            raw: Any = cursor.cursor
            with raw.copy("COPY delegations_revokedserial (crl_id, serial, revoked_at, reason) FROM STDIN") as copy:
                chunk: list[str] = []
                for serial, when, reason in entries:
                    chunk.append(f"{crl_id}\t{serial}\t{when.isoformat()}\t{reason}\n")
                    if len(chunk) >= 50_000:
                        copy.write("".join(chunk))
                        chunk = []
                if chunk:
                    copy.write("".join(chunk))
        return
    RevokedSerial.objects.bulk_create(
        (RevokedSerial(crl_id=crl_id, serial=s, revoked_at=w, reason=r) for s, w, r in entries), batch_size=5000
    )


class DatabaseCRLSource:
    """Revocation from the imported CRLs: two indexed queries, no CRL parsing."""

    name = "crl"

    def check(self, cert: x509.Certificate, issuer: x509.Certificate, at: datetime) -> rev.RevocationResult:
        # One round trip, and raw SQL: compiling the equivalent ORM query costs more than running it.
        with connection.cursor() as cursor:
            cursor.execute(_lookup_sql(), [format(cert.serial_number, "X"), fingerprint(issuer)])
            row = cursor.fetchone()
        if row is None:
            return rev.RevocationResult(rev.TRY_LATER, self.name, at, "no_crl_imported")
        number, this_update, next_update, sha256, imported_at, revoked_at, reason = row
        this_update, next_update, imported_at = (_aware(v) for v in (this_update, next_update, imported_at))
        result = rev.RevocationResult(
            rev.GOOD,
            self.name,
            at,
            this_update=this_update,
            next_update=next_update,
            evidence={
                "crl_number": int(number) if number is not None else None,
                "crl_sha256": sha256,
                "this_update": this_update.isoformat(),
                "next_update": next_update.isoformat(),
                "imported_at": imported_at.isoformat(),
            },
        )
        problem = rev.crl_freshness(this_update, next_update, at)
        if problem:
            result.status, result.detail = rev.TRY_LATER, problem
            return result
        if revoked_at is not None and _aware(revoked_at) <= at:
            result.status, result.revoked_at, result.reason = rev.REVOKED, _aware(revoked_at), reason or None
        return result


def _lookup_sql() -> str:
    lists, serials = RevocationList._meta.db_table, RevokedSerial._meta.db_table
    return (
        f"SELECT l.crl_number, l.this_update, l.next_update, l.sha256, l.imported_at, s.revoked_at, s.reason "  # noqa: S608  (table names from _meta)
        f"FROM {lists} l LEFT JOIN {serials} s ON s.crl_id = l.id AND s.serial = %s "
        f"WHERE l.issuer_fingerprint = %s AND l.is_current LIMIT 1"
    )


def _aware(value: Any) -> datetime:
    if isinstance(value, str):  # SQLite hands back text
        from django.utils.dateparse import parse_datetime

        parsed = parse_datetime(value)
        assert parsed is not None  # noqa: S101
        value = parsed
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# --- the policy the verifiers get ----------------------------------------------------------------------------
def revocation_source() -> rev.RevocationSource | None:
    source = settings.SIGNATURE_REVOCATION_SOURCE
    timeout = settings.SIGNATURE_REVOCATION_TIMEOUT
    if source == "crl":
        return DatabaseCRLSource()
    if source == "ocsp" and settings.SIGNATURE_OCSP_URL:
        return rev.OCSPSource(settings.SIGNATURE_OCSP_URL, timeout=timeout)
    if source == "provider" and settings.SIGNATURE_PROVIDER_URL:
        return rev.ProviderAPISource(
            settings.SIGNATURE_PROVIDER_URL, settings.SIGNATURE_PROVIDER_TOKEN, timeout=timeout
        )
    return None  # misconfigured: every verification answers TRY_LATER (and delegations.E002 says why)


DOCUMENTS = ("delegation", "acceptance")


def verification_policy(*, moment: datetime | None = None, document: str = "delegation") -> VerificationPolicy:
    """The service's one verification policy, built here only: the upload service and
    ``manage.py verify_signature`` both use it, so they cannot disagree.

    The anchors operators installed, the configured revocation source, and the rule of
    docs/delegations.md: a co-signature, a document timestamp or a validation-data update may follow
    the first PDF signature (pyHanko's difference analysis must rate it harmless). ``document``:
    which XML a signed PDF must carry, the delegation's or the agent's acceptance.
    """
    from delegations.document import acceptance, delegation_xml

    if document not in DOCUMENTS:
        raise ValueError(f"document must be one of {DOCUMENTS}")
    active = TrustAnchor.objects.active()
    anchors = tuple(bytes(der) for der in active.signing().values_list("certificate_der", flat=True))
    tsa = tuple(bytes(der) for der in active.timestamping().values_list("certificate_der", flat=True))
    return VerificationPolicy(
        trust_anchors=anchors,
        tsa_anchors=tsa,
        revocation=revocation_source(),
        # TSA certificates are checked against their roots' imported CRLs, whatever source serves JPKI.
        tsa_revocation=DatabaseCRLSource(),
        moment=moment,
        allow_later_signatures=True,
        max_bytes=settings.MAX_UPLOAD_SIZE,
        embedded_xml_name=acceptance.FILENAME if document == "acceptance" else delegation_xml.FILENAME,
    )
