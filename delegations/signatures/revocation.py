"""Revocation sources: imported CRLs, OCSP (RFC 6960) and a platform provider's HTTP API.

JPKI gives revocation data only to registered verifiers, so the source is chosen by settings. Every
source answers with a ``RevocationResult`` carrying its evidence for storage. Stale data (past
nextUpdate), an unreachable responder or a badly signed answer is ``try_later``: never a silent good.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import os
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID

GOOD = "good"
REVOKED = "revoked"
UNKNOWN = "unknown"  # the source does not know the certificate: not a good
TRY_LATER = "try_later"  # no fresh, trustworthy answer now

# Clock skew tolerated on thisUpdate in the future.
SKEW = timedelta(minutes=5)


@dataclass
class RevocationResult:
    status: str
    source: str  # crl | ocsp | provider | none
    checked_at: datetime
    detail: str = ""
    revoked_at: datetime | None = None
    reason: str | None = None
    this_update: datetime | None = None
    next_update: datetime | None = None
    evidence: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "source": self.source,
            "checked_at": self.checked_at.isoformat(),
            "detail": self.detail,
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
            "reason": self.reason,
            "this_update": self.this_update.isoformat() if self.this_update else None,
            "next_update": self.next_update.isoformat() if self.next_update else None,
            "evidence": self.evidence,
        }


class RevocationSource(Protocol):
    name: str

    def check(self, cert: x509.Certificate, issuer: x509.Certificate, at: datetime) -> RevocationResult: ...


def verify_issued_by(signed: x509.Certificate | x509.CertificateRevocationList, issuer: x509.Certificate) -> bool:
    """True when ``issuer``'s key signed ``signed`` (certificate or CRL)."""
    if isinstance(signed, x509.CertificateRevocationList):
        key = issuer.public_key()
        if not isinstance(key, (rsa.RSAPublicKey, ec.EllipticCurvePublicKey)):
            return False
        return signed.is_signature_valid(key)
    try:
        signed.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


# --- CRLs held in memory (tests, small deployments); the indexed table lives in delegations/ ---
@dataclass(frozen=True)
class ParsedCRL:
    crl: x509.CertificateRevocationList
    der: bytes
    number: int | None
    sha256: str

    @classmethod
    def load(cls, der: bytes) -> ParsedCRL:
        crl = x509.load_der_x509_crl(der) if not der.lstrip().startswith(b"-----") else x509.load_pem_x509_crl(der)
        try:
            number: int | None = crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
        except x509.ExtensionNotFound:
            number = None
        raw = crl.public_bytes(serialization.Encoding.DER)
        return cls(crl, raw, number, hashlib.sha256(raw).hexdigest().upper())

    def evidence(self) -> dict[str, Any]:
        return dict(self._evidence)

    @functools.cached_property
    def _evidence(self) -> dict[str, Any]:
        # A CRL does not change: describe it once, not on every lookup.
        return {
            "crl_number": self.number,
            "crl_sha256": self.sha256,
            "this_update": self.crl.last_update_utc.isoformat(),
            "next_update": self.crl.next_update_utc.isoformat() if self.crl.next_update_utc else None,
            "issuer": self.crl.issuer.rfc4514_string(),
        }


def crl_freshness(this_update: datetime, next_update: datetime | None, at: datetime) -> str | None:
    """Why a CRL cannot be relied on at ``at``, or None when it can."""
    if next_update is None:
        return "crl_without_next_update"
    if at > next_update:
        return "crl_stale"
    if this_update > at + SKEW:
        return "crl_not_yet_valid"
    return None


class CRLSource:
    """CRLs given as DER bytes; each is signature-checked against the certificate's issuer."""

    name = "crl"

    def __init__(self, crls: list[bytes] | tuple[bytes, ...]) -> None:
        self.crls = [ParsedCRL.load(der) for der in crls]
        self._signed_by: dict[tuple[int, x509.Certificate], bool] = {}  # (CRL index, issuer) -> signature ok

    def _issued_by(self, index: int, issuer: x509.Certificate) -> bool:
        # A CRL's signature is checked once per issuer, not on every lookup (certificates hash and
        # compare by their encoding).
        key = (index, issuer)
        if key not in self._signed_by:
            crl = self.crls[index].crl
            self._signed_by[key] = crl.issuer == issuer.subject and verify_issued_by(crl, issuer)
        return self._signed_by[key]

    def check(self, cert: x509.Certificate, issuer: x509.Certificate, at: datetime) -> RevocationResult:
        candidates = [c for i, c in enumerate(self.crls) if self._issued_by(i, issuer)]
        if not candidates:
            return RevocationResult(TRY_LATER, self.name, at, "no_crl_for_issuer")
        best = max(candidates, key=lambda c: (c.number or 0, c.crl.last_update_utc))
        problem = crl_freshness(best.crl.last_update_utc, best.crl.next_update_utc, at)
        result = RevocationResult(
            GOOD,
            self.name,
            at,
            this_update=best.crl.last_update_utc,
            next_update=best.crl.next_update_utc,
            evidence=best.evidence(),
        )
        if problem:
            result.status, result.detail = TRY_LATER, problem
            return result
        entry = best.crl.get_revoked_certificate_by_serial_number(cert.serial_number)
        if entry is not None and entry.revocation_date_utc <= at:
            result.status = REVOKED
            result.revoked_at = entry.revocation_date_utc
            try:
                result.reason = entry.extensions.get_extension_for_class(x509.CRLReason).value.reason.name
            except x509.ExtensionNotFound:
                result.reason = None
        return result


# --- OCSP ------------------------------------------------------------------------------------
def build_ocsp_request(cert: x509.Certificate, issuer: x509.Certificate) -> tuple[bytes, bytes]:
    """(request DER, nonce). CertID uses SHA-1 as RFC 6960 responders universally expect."""
    nonce = os.urandom(16)
    request = (
        ocsp.OCSPRequestBuilder()
        .add_certificate(cert, issuer, hashes.SHA1())  # noqa: S303  (CertID hash, not a signature)
        .add_extension(x509.OCSPNonce(nonce), critical=False)
        .build()
    )
    return request.public_bytes(serialization.Encoding.DER), nonce


def _verify_signature(key: Any, signature: bytes, data: bytes, hash_algorithm: Any) -> bool:
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, data, padding.PKCS1v15(), hash_algorithm)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, data, ec.ECDSA(hash_algorithm))
        else:
            return False
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def judge_ocsp_response(
    der: bytes,
    cert: x509.Certificate,
    issuer: x509.Certificate,
    at: datetime,
    *,
    nonce: bytes | None,
    source: str = "ocsp",
    max_age_without_next_update: timedelta = timedelta(hours=1),
) -> RevocationResult:
    """Check an OCSP response: status, our CertID, nonce, responder authority, signature, freshness."""
    evidence = {"ocsp_response_b64": base64.b64encode(der).decode()}
    try:
        response = ocsp.load_der_ocsp_response(der)
    except ValueError:
        return RevocationResult(TRY_LATER, source, at, "ocsp_malformed", evidence=evidence)
    single, responder, problem = _ocsp_answer(response, cert, issuer, at, nonce)
    if problem or single is None or responder is None:
        return RevocationResult(TRY_LATER, source, at, problem, evidence=evidence)
    evidence.update(
        {
            "produced_at": response.produced_at_utc.isoformat(),
            "responder": responder.subject.rfc4514_string(),
        }
    )
    this_update, next_update = single.this_update_utc, single.next_update_utc
    result = RevocationResult(GOOD, source, at, this_update=this_update, next_update=next_update, evidence=evidence)
    if this_update > at + SKEW:
        result.status, result.detail = TRY_LATER, "ocsp_not_yet_valid"
    elif (next_update is not None and at > next_update) or (
        next_update is None and at - this_update > max_age_without_next_update
    ):
        result.status, result.detail = TRY_LATER, "ocsp_stale"
    elif single.certificate_status == ocsp.OCSPCertStatus.REVOKED:
        result.status = REVOKED
        result.revoked_at = single.revocation_time_utc
        result.reason = single.revocation_reason.name if single.revocation_reason else None
    elif single.certificate_status == ocsp.OCSPCertStatus.UNKNOWN:
        result.status, result.detail = UNKNOWN, "ocsp_unknown"
    return result


def _ocsp_answer(
    response: ocsp.OCSPResponse, cert: x509.Certificate, issuer: x509.Certificate, at: datetime, nonce: bytes | None
) -> tuple[Any, x509.Certificate | None, str]:
    """The single response about ``cert`` and the certificate that signed it, or why the response
    cannot be relied on (the first problem found)."""
    if response.response_status != ocsp.OCSPResponseStatus.SUCCESSFUL:
        return None, None, f"ocsp_status_{response.response_status.name.lower()}"
    single = next(
        (
            r
            for r in response.responses
            if r.serial_number == cert.serial_number
            and r.issuer_key_hash == _key_hash(issuer, r.hash_algorithm)
            and r.issuer_name_hash == _name_hash(issuer, r.hash_algorithm)
        ),
        None,
    )
    if single is None:
        return None, None, "ocsp_no_matching_response"
    if nonce is not None:
        try:
            got = response.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
        except x509.ExtensionNotFound:
            return None, None, "ocsp_nonce_missing"
        if got != nonce:
            return None, None, "ocsp_nonce_mismatch"
    responder = _ocsp_responder(response, issuer, at)
    if responder is None:
        return None, None, "ocsp_responder_not_authorised"
    if response.signature_hash_algorithm is None or not _verify_signature(
        responder.public_key(), response.signature, response.tbs_response_bytes, response.signature_hash_algorithm
    ):
        return None, None, "ocsp_bad_signature"
    return single, responder, ""


def _ocsp_responder(response: ocsp.OCSPResponse, issuer: x509.Certificate, at: datetime) -> x509.Certificate | None:
    """Who signed: the issuer itself, or a responder certificate the issuer delegated, valid at
    ``at`` (RFC 6960 §4.2.2.2)."""
    if _responder_matches(response, issuer):
        return issuer
    for candidate in response.certificates:
        if not _responder_matches(response, candidate) or not verify_issued_by(candidate, issuer):
            continue
        try:
            eku = candidate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        except x509.ExtensionNotFound:
            continue
        if ExtendedKeyUsageOID.OCSP_SIGNING in eku and (
            candidate.not_valid_before_utc <= at <= candidate.not_valid_after_utc
        ):
            return candidate
    return None


def _responder_matches(response: ocsp.OCSPResponse, cert: x509.Certificate) -> bool:
    if response.responder_key_hash is not None:
        return response.responder_key_hash == _key_hash(cert, hashes.SHA1())  # noqa: S303  (RFC 6960 KeyHash)
    return response.responder_name == cert.subject


def _key_hash(cert: x509.Certificate, algorithm: Any) -> bytes:
    public = cert.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    # The hash covers the subjectPublicKey BIT STRING value, not the whole SPKI.
    from asn1crypto import keys as asn1_keys

    bits = asn1_keys.PublicKeyInfo.load(public)["public_key"].contents[1:]
    h = hashes.Hash(algorithm)
    h.update(bits)
    return h.finalize()


def _name_hash(cert: x509.Certificate, algorithm: Any) -> bytes:
    h = hashes.Hash(algorithm)
    h.update(cert.subject.public_bytes())
    return h.finalize()


def _post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> bytes:
    if not url.startswith(("http://", "https://")):
        raise ValueError("only http(s) URLs are allowed")
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310  (scheme checked)
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        return bytes(response.read(1024 * 1024))


class OCSPSource:
    """RFC 6960 over HTTP POST to a configured URL (JPKI's CDP names no URL)."""

    name = "ocsp"

    def __init__(self, url: str, *, timeout: float = 5.0) -> None:
        self.url = url
        self.timeout = timeout

    def check(self, cert: x509.Certificate, issuer: x509.Certificate, at: datetime) -> RevocationResult:
        request, nonce = build_ocsp_request(cert, issuer)
        try:
            der = _post(self.url, request, {"Content-Type": "application/ocsp-request"}, self.timeout)
        except (OSError, ValueError, urllib.error.URLError) as exc:
            return RevocationResult(TRY_LATER, self.name, at, f"ocsp_unreachable: {type(exc).__name__}")
        return judge_ocsp_response(der, cert, issuer, at, nonce=nonce, source=self.name)


class ProviderAPISource:
    """A platform provider's status API that relays the CA's OCSP answer.

    Request: ``POST {base_url}/v1/certificate-status`` with ``Authorization: Bearer <token>`` and JSON
    ``{"ocsp_request": base64}``; answer: JSON ``{"status": "ok", "ocsp_response": base64}``. The relayed
    response is judged like a direct OCSP answer (CA signature, nonce, freshness), so the provider is a
    transport, not a party we must take at its word.
    """

    name = "provider"
    path = "/v1/certificate-status"

    def __init__(self, base_url: str, token: str, *, timeout: float = 5.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout

    def check(self, cert: x509.Certificate, issuer: x509.Certificate, at: datetime) -> RevocationResult:
        request, nonce = build_ocsp_request(cert, issuer)
        body = json.dumps({"ocsp_request": base64.b64encode(request).decode()}).encode()
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {self.token}"}
        try:
            raw = _post(self.base_url + self.path, body, headers, self.timeout)
            data = json.loads(raw)
            der = base64.b64decode(data["ocsp_response"], validate=True)
        except (OSError, ValueError, KeyError, TypeError, urllib.error.URLError) as exc:
            return RevocationResult(TRY_LATER, self.name, at, f"provider_unavailable: {type(exc).__name__}")
        return judge_ocsp_response(der, cert, issuer, at, nonce=nonce, source=self.name)


def now() -> datetime:
    return datetime.now(UTC)


__all__ = [
    "GOOD",
    "REVOKED",
    "TRY_LATER",
    "UNKNOWN",
    "CRLSource",
    "OCSPSource",
    "ParsedCRL",
    "ProviderAPISource",
    "RevocationResult",
    "RevocationSource",
    "build_ocsp_request",
    "crl_freshness",
    "judge_ocsp_response",
    "verify_issued_by",
]
