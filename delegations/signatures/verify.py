"""Verifiers for the three accepted containers, all returning one ``SignatureReport``.

Bytes and a ``VerificationPolicy`` in, a report out; nothing raises out of here. The libraries
(pyHanko, pyhanko-certvalidator, signxml) check the cryptography and the path to a pinned anchor;
this module adds what a JPKI verifier must decide itself, in a fixed order so that the same file
gives the same sub-indication in any container:

1. format and integrity (HASH_FAILURE, SIG_CRYPTO_FAILURE), PDF coverage, XML references;
2. algorithms (SHA-1, RSA < 2048) → CRYPTO_CONSTRAINTS_FAILURE;
3. an anchor whose key signed the signer certificate → else NO_CERTIFICATE_CHAIN_FOUND;
4. the JPKI signing profile (not an authentication certificate) → SIG_CONSTRAINTS_FAILURE;
5. validity period (EXPIRED, NOT_YET_VALID), then the library's path verdict;
6. revocation from the configured source (REVOKED, TRY_LATER: never a silent good).
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import functools
import io
import logging
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from delegations.signatures import revocation as rev
from delegations.signatures.profile import (
    JPKICertificate,
    JPKIProfileError,
    parse_certificate,
    sha256_hex,
)
from delegations.signatures.report import (
    MAIN_INDICATION,
    REVOCATION_SOURCE_LABELS,
    CertificateInfo,
    Indication,
    SignatureReport,
    SubIndication,
    VerificationFailure,
)

logger = logging.getLogger(__name__)

DSIG_NS = "http://www.w3.org/2000/09/xmldsig#"
XADES_NS = "http://uri.etsi.org/01903/v1.3.2#"
XADES_SIGNED_PROPERTIES_TYPE = "http://uri.etsi.org/01903#SignedProperties"
WEAK_DIGESTS = {"sha1", "md5", "md2"}
ALLOWED_TRANSFORMS = {
    "http://www.w3.org/2000/09/xmldsig#enveloped-signature",
    "http://www.w3.org/TR/2001/REC-xml-c14n-20010315",
    "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments",
    "http://www.w3.org/2006/12/xml-c14n11",
    "http://www.w3.org/2006/12/xml-c14n11#WithComments",
    "http://www.w3.org/2001/10/xml-exc-c14n#",
    "http://www.w3.org/2001/10/xml-exc-c14n#WithComments",
}
KEY_USAGE = frozenset({"digital_signature", "non_repudiation"})
_DER = serialization.Encoding.DER


@dataclass(frozen=True)
class VerificationPolicy:
    """What to trust and how to check revocation. Build it once per request (or per process)."""

    trust_anchors: tuple[bytes, ...]  # DER certificates installed by operators
    revocation: rev.RevocationSource | None = None  # None: every signature is TRY_LATER
    moment: datetime | None = None  # validation time (default: now)
    allow_later_signatures: bool = False  # PAdES: accept later revisions that only add signatures
    max_bytes: int = 10 * 1024 * 1024
    embedded_xml_name: str = "delegation.xml"
    # RFC 3161 time-stamping authorities' roots (DER): every timestamp (PAdES document timestamps,
    # signature timestamps of CMS, PAdES and XAdES-T) must chain to one.
    tsa_anchors: tuple[bytes, ...] = ()
    # Where the TSA certificates' revocation is looked up (the TSA roots' imported CRLs). None: a
    # timestamp cannot be relied on (TRY_LATER), as a signature cannot without a revocation source.
    tsa_revocation: rev.RevocationSource | None = None

    @functools.cached_property
    def anchors(self) -> tuple[x509.Certificate, ...]:
        return tuple(cert for cert, _der in self.anchor_pairs)

    @functools.cached_property
    def anchor_pairs(self) -> tuple[tuple[x509.Certificate, bytes], ...]:
        """Each readable anchor with its DER (re-encoding a certificate costs more than keeping it)."""
        out = []
        for der in self.trust_anchors:
            try:
                out.append((x509.load_der_x509_certificate(der), bytes(der)))
            except ValueError:
                logger.warning("ignoring a trust anchor that is not a DER certificate")
        return tuple(out)

    def anchor_der(self, anchor: x509.Certificate) -> bytes:
        return next((der for cert, der in self.anchor_pairs if cert == anchor), None) or anchor.public_bytes(_DER)

    @functools.cached_property
    def path_store(self) -> Any:
        """The anchors as cryptography's path-validation store with its extension policies, built
        once per policy rather than per signature."""
        from cryptography.x509.verification import Criticality, ExtensionPolicy, Store

        ee_policy = ExtensionPolicy.permit_all().may_be_present(x509.CertificatePolicies, Criticality.AGNOSTIC, None)
        ca_policy = ExtensionPolicy.permit_all().require_present(x509.BasicConstraints, Criticality.AGNOSTIC, None)
        return Store(list(self.anchors)), ee_policy, ca_policy

    @functools.cached_property
    def asn1_anchors(self) -> tuple[Any, ...]:
        from asn1crypto import x509 as asn1_x509

        return tuple(asn1_x509.Certificate.load(der) for _cert, der in self.anchor_pairs)

    @functools.cached_property
    def asn1_tsa_anchors(self) -> tuple[Any, ...]:
        from asn1crypto import x509 as asn1_x509

        out = []
        for der in self.tsa_anchors:
            try:
                out.append(asn1_x509.Certificate.load(x509.load_der_x509_certificate(der).public_bytes(_DER)))
            except ValueError:
                logger.warning("ignoring a TSA trust anchor that is not a DER certificate")
        return tuple(out)

    def validation_context(self, moment: datetime) -> Any:
        return _context(self.asn1_anchors, moment)

    def tsa_validation_context(self, moment: datetime) -> Any:
        return _context(self.asn1_tsa_anchors, moment)

    def describe(self) -> list[tuple[Any, str]]:
        """(label, value) pairs saying which policy was applied (the command prints them)."""
        from django.utils.translation import gettext_lazy as _

        from delegations.signatures.profile import fingerprint

        def names(certs: tuple[x509.Certificate, ...]) -> str:
            named = (
                str(
                    _("%(subject)s（SHA-256 %(digest)s）")
                    % {"subject": c.subject.rfc4514_string(), "digest": f"{fingerprint(c)[:16]}…"}
                )
                for c in certs
            )
            return str(_("、")).join(named) or "—"

        tsa = tuple(x509.load_der_x509_certificate(der) for der in self.tsa_anchors)
        source = getattr(self.revocation, "name", None)
        tsa_source = getattr(self.tsa_revocation, "name", None)
        return [
            (_("信頼する署名用認証局"), names(self.anchors)),
            (_("信頼する時刻認証局"), names(tsa)),
            (_("失効情報源"), str(REVOCATION_SOURCE_LABELS.get(source or "none", source))),
            (
                _("時刻認証局の証明書の失効情報源"),
                str(REVOCATION_SOURCE_LABELS.get(tsa_source or "none", tsa_source)),
            ),
            (_("後続の署名"), str(_("受け付ける") if self.allow_later_signatures else _("受け付けない"))),
            (_("PDF に添付された XML の名前"), self.embedded_xml_name),
            (_("ファイルの上限"), f"{self.max_bytes:,} B"),
        ]


def _context(roots: tuple[Any, ...], moment: datetime) -> Any:
    from pyhanko_certvalidator import ValidationContext
    from pyhanko_certvalidator.policy_decl import NO_REVOCATION, CertRevTrustPolicy

    # Revocation is judged by our pluggable source (step 6), not fetched by the library.
    return ValidationContext(
        trust_roots=list(roots),
        allow_fetching=False,
        revinfo_policy=CertRevTrustPolicy(NO_REVOCATION),
        moment=moment,
    )


@dataclass
class _State:
    container: str
    data: bytes
    moment: datetime
    signing_time: datetime | None = None
    signer: dict[str, Any] | None = None
    chain: list[CertificateInfo] = field(default_factory=list)
    revocation: dict[str, Any] | None = None
    signed_content: bytes | None = None
    signature_count: int = 0
    warnings: list[str] = field(default_factory=list)
    other_failures: list[dict[str, str]] = field(default_factory=list)
    timestamps: list[dict[str, Any]] = field(default_factory=list)
    # Trusted timestamps whose TSA certificate's revocation is still to be looked up, outside the
    # event loop: (report entry, TSA certificate, its issuer, the time it asserts).
    pending_stamps: list[tuple[dict[str, Any], x509.Certificate, x509.Certificate | None, datetime]] = field(
        default_factory=list
    )
    # The certificate the file names as its signer, once known: a refusal on format grounds still
    # runs the chain checks on it, so the report lists every failure, not only the first.
    candidate: x509.Certificate | None = None
    judged: bool = False

    def report(self, sub: SubIndication | None, detail: str = "", part: str = "signature") -> SignatureReport:
        indication = Indication.TOTAL_PASSED if sub is None else MAIN_INDICATION[sub]
        # Only a passed signature vouches for content: a failed report carries none, so no caller
        # can take facts from bytes that were not proven signed.
        content = self.signed_content if sub is None else None
        return SignatureReport(
            indication=indication,
            sub_indication=sub,
            container=self.container,
            validation_time=self.moment,
            detail=detail,
            signing_time=self.signing_time,
            signer=self.signer,
            chain=self.chain,
            revocation=self.revocation,
            file_sha256=sha256_hex(self.data),
            signed_content_sha256=sha256_hex(content) if content is not None else None,
            signature_count=self.signature_count,
            warnings=self.warnings,
            other_failures=self.other_failures,
            timestamps=self.timestamps,
            failed_part=part if sub is not None else "signature",
            signed_content=content,
        )


def _fail(sub: SubIndication, detail: str, *, part: str = "signature") -> VerificationFailure:
    return VerificationFailure(sub, detail, part=part)


def _guarded(state: _State, work: Any, policy: VerificationPolicy) -> SignatureReport:
    try:
        work(state)
    except VerificationFailure as failure:
        if state.candidate is not None and not state.judged:
            _collect_chain_failures(state, state.candidate, policy)
        return state.report(failure.sub, failure.detail, failure.part)
    except Exception as exc:  # the module never raises; the operator sees the class name
        logger.info("signature verification failed unexpectedly", exc_info=True)
        return state.report(SubIndication.GENERIC, f"unexpected: {type(exc).__name__}")
    return state.report(None)


def _run_coroutine(coroutine: Any) -> Any:
    """pyHanko's checks are coroutines. Without a loop in this thread, run one; inside a running
    loop (asgiref's sync_to_async thread, an async caller), run it on a fresh thread instead."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def _moment(policy: VerificationPolicy) -> datetime:
    return (policy.moment or datetime.now(UTC)).astimezone(UTC)


def _as_bytes(data: Any) -> bytes:
    if isinstance(data, bytes):
        return data
    if isinstance(data, (bytearray, memoryview)):
        return bytes(data)
    raise _fail(SubIndication.FORMAT_FAILURE, "input_not_bytes")


# --- public entry points ------------------------------------------------------------------------
def verify(data: bytes, policy: VerificationPolicy, *, content: bytes | None = None) -> SignatureReport:
    """Sniff the container (PDF, XML, else CMS) and verify it. ``content``: the bytes a detached CMS covers."""
    head = data[:1024].lstrip() if isinstance(data, (bytes, bytearray)) else b""
    if head.startswith(b"%PDF"):
        return verify_pades(data, policy)
    if head.startswith((b"<", b"\xef\xbb\xbf<")):
        return verify_xml(data, policy)
    if head.startswith((b"\x30", b"-----BEGIN")):
        return verify_cms(data, content, policy)
    # Neither PDF, XML nor CMS (an empty file among them): say so rather than call it a CMS.
    state = _State("unknown", data if isinstance(data, bytes) else b"", _moment(policy))
    return state.report(SubIndication.FORMAT_FAILURE, "empty_file" if not head else "unrecognised_format")


async def averify(data: bytes, policy: VerificationPolicy, *, content: bytes | None = None) -> SignatureReport:
    """``verify`` for async views: it does not block the event loop,
    and a database revocation source runs in Django's sync thread."""
    from asgiref.sync import sync_to_async

    return await sync_to_async(verify, thread_sensitive=True)(data, policy, content=content)


def verify_pades(data: bytes, policy: VerificationPolicy) -> SignatureReport:
    """PAdES: the first signature, which must cover the whole file (later signature-only revisions
    allowed when the policy says so); the embedded XML is taken from the signed revision."""
    state = _State("pades", data if isinstance(data, bytes) else b"", _moment(policy))
    return _guarded(state, lambda s: _finish(s, policy, _run_coroutine(_pades(s, _as_bytes(data), policy))), policy)


def verify_xml(data: bytes, policy: VerificationPolicy) -> SignatureReport:
    """Enveloped XMLDSig or XAdES over the whole document (``URI=""``), one signature."""
    state = _State("xmldsig", data if isinstance(data, bytes) else b"", _moment(policy))
    return _guarded(state, lambda s: _xml(s, _as_bytes(data), policy), policy)


def verify_cms(signature: bytes, content: bytes | None, policy: VerificationPolicy) -> SignatureReport:
    """Detached CMS SignedData (DER or PEM) over ``content``."""
    state = _State("cms", signature if isinstance(signature, bytes) else b"", _moment(policy))
    return _guarded(
        state, lambda s: _finish(s, policy, _run_coroutine(_cms(s, _as_bytes(signature), content, policy))), policy
    )


def signed_content_matches(report: SignatureReport, content: bytes) -> bool:
    """Whether a passed report's signed content is ``content``: the PDF's embedded XML and a CMS's
    content byte for byte; an enveloped XML document in its canonical form (C14N), since that is
    what the signature covers."""
    import hmac

    signed = report.signed_content
    if signed is None or not isinstance(content, (bytes, bytearray)):
        return False
    if hmac.compare_digest(signed, bytes(content)):
        return True
    if report.container not in ("xmldsig", "xades"):
        return False
    from lxml import etree

    try:
        canonical = etree.tostring(etree.fromstring(bytes(content), parser=_hardened_parser()), method="c14n")
    except (etree.XMLSyntaxError, ValueError):
        return False
    return hmac.compare_digest(signed, canonical)


def _finish(state: _State, policy: VerificationPolicy, outcome: tuple[x509.Certificate, dict[str, Any]]) -> None:
    # Outside the event loop: a revocation source may use the ORM, whose connection is per context.
    signer, verdict = outcome
    _judge_timestamp_authorities(state, policy)
    _judge_signer(state, signer, policy, **verdict)


# --- shared signer checks (steps 2 to 6) -----------------------------------------------------------
def _judge_signer(
    state: _State,
    signer: x509.Certificate,
    policy: VerificationPolicy,
    *,
    library_verdict: SubIndication | None,
    library_detail: str = "",
    library_anchor: x509.Certificate | None = None,
    signer_der: bytes | None = None,
) -> None:
    """Every chain check runs; the first failure in the documented order decides, the others are
    listed in the report (``other_failures``). ``library_anchor``: the pinned anchor the library's
    own path validation ended at (its signature over the certificate need not be checked again).
    ``signer_der``: the certificate as the file carries it, when the caller has it at hand."""
    failures = _chain_failures(
        state, signer, policy, library_verdict, library_detail, revocation=True, anchor=library_anchor, der=signer_der
    )
    if failures:
        first, *rest = failures
        state.other_failures.extend({"sub_indication": f.sub.value, "detail": f.detail} for f in rest)
        raise first


def _collect_chain_failures(state: _State, signer: x509.Certificate, policy: VerificationPolicy) -> None:
    """After a refusal on format or integrity grounds: what the chain checks say about the named
    signer (revocation is not looked up for a signature that already failed)."""
    try:
        failures = _chain_failures(state, signer, policy, None, revocation=False)
    except VerificationFailure as failure:  # a certificate that cannot even be parsed
        failures = [failure]
    except ValueError:  # cryptography reads a certificate lazily: a damaged key or name fails here
        failures = [_fail(SubIndication.FORMAT_FAILURE, "signer_certificate_unreadable")]
    state.other_failures.extend({"sub_indication": f.sub.value, "detail": f.detail} for f in failures)


def _key_problem(key: Any) -> str | None:
    if isinstance(key, rsa.RSAPublicKey):
        return None if key.key_size >= 2048 else f"signer_key_too_weak: RSA-{key.key_size}"
    if isinstance(key, ec.EllipticCurvePublicKey):
        kind = f"EC {key.curve.name}"
    else:
        kind = type(key).__name__.removesuffix("PublicKey").removeprefix("_")
    # JPKI signing keys are RSA: any other key type is refused whatever its strength.
    return f"signer_key_type_not_accepted: {kind} (RSA-2048 or stronger required)"


def _chain_failures(
    state: _State,
    signer: x509.Certificate,
    policy: VerificationPolicy,
    library_verdict: SubIndication | None,
    library_detail: str = "",
    *,
    revocation: bool,
    anchor: x509.Certificate | None = None,
    der: bytes | None = None,
) -> list[VerificationFailure]:
    state.judged = True
    der = der if der is not None else signer.public_bytes(_DER)
    try:
        profile = parse_certificate(signer, der=der)
    except JPKIProfileError as exc:
        raise _fail(SubIndication.SIG_CONSTRAINTS_FAILURE, f"profile: {exc.code}") from exc
    state.signer = profile.to_dict()
    state.warnings.extend(w for w in profile.warnings if w not in state.warnings)
    failures = _key_failures(signer, profile)
    issuer = _trusted_issuer(signer, policy, anchor)
    if issuer is None:
        failures.append(_fail(SubIndication.NO_CERTIFICATE_CHAIN_FOUND, "no_trusted_anchor_signed_the_certificate"))
    else:
        state.chain = [_signer_info(profile, der), _anchor_info(policy.anchor_der(issuer))]
    failures += _profile_failures(profile, state.moment)
    if library_verdict is not None and library_verdict not in {f.sub for f in failures}:
        failures.append(_fail(library_verdict, library_detail or "path_validation"))
    if not revocation or issuer is None or failures:
        return failures
    return _revocation_failures(state, signer, issuer, policy)


def _key_failures(signer: x509.Certificate, profile: JPKICertificate) -> list[VerificationFailure]:
    failures: list[VerificationFailure] = []
    key_problem = _key_problem(signer.public_key())
    if key_problem:
        failures.append(_fail(SubIndication.CRYPTO_CONSTRAINTS_FAILURE, key_problem))
    if (profile.signature_hash or "") in WEAK_DIGESTS:
        failures.append(_fail(SubIndication.CRYPTO_CONSTRAINTS_FAILURE, "certificate_signed_with_weak_hash"))
    return failures


def _trusted_issuer(
    signer: x509.Certificate, policy: VerificationPolicy, anchor: x509.Certificate | None
) -> x509.Certificate | None:
    """The trust anchor that signed the certificate (the one the library's path named, when it is
    trusted and is the issuer), or None."""
    if anchor is not None and anchor in policy.anchors and anchor.subject == signer.issuer:
        return anchor
    return next((a for a in policy.anchors if rev.verify_issued_by(signer, a)), None)


def _signer_info(profile: JPKICertificate, der: bytes) -> CertificateInfo:
    return CertificateInfo(
        subject=profile.subject,
        issuer=profile.issuer,
        serial=format(profile.serial, "X"),
        sha256=profile.sha256,
        not_before=profile.not_before.isoformat(),
        not_after=profile.not_after.isoformat(),
        der_b64=base64.b64encode(der).decode(),
    )


def _profile_failures(profile: JPKICertificate, moment: datetime) -> list[VerificationFailure]:
    """A JPKI signing certificate (not the card's authentication one), inside its validity."""
    failures: list[VerificationFailure] = []
    if profile.kind == "authentication":
        failures.append(_fail(SubIndication.SIG_CONSTRAINTS_FAILURE, "authentication_certificate"))
    elif profile.kind != "signing":
        failures.append(_fail(SubIndication.SIG_CONSTRAINTS_FAILURE, "not_a_jpki_signing_certificate"))
    if moment > profile.not_after:
        failures.append(_fail(SubIndication.EXPIRED, "certificate_expired"))
    elif moment < profile.not_before:
        failures.append(_fail(SubIndication.NOT_YET_VALID, "certificate_not_yet_valid"))
    return failures


def _revocation_failures(
    state: _State, signer: x509.Certificate, issuer: x509.Certificate, policy: VerificationPolicy
) -> list[VerificationFailure]:
    if policy.revocation is None:
        state.revocation = rev.RevocationResult(rev.TRY_LATER, "none", state.moment, "no_source").to_dict()
        return [_fail(SubIndication.TRY_LATER, "no_revocation_source_configured")]
    result = policy.revocation.check(signer, issuer, state.moment)
    state.revocation = result.to_dict()
    if result.status == rev.REVOKED:
        return [
            _fail(SubIndication.REVOKED, f"revoked_at {result.revoked_at.isoformat() if result.revoked_at else ''}")
        ]
    if result.status != rev.GOOD:
        return [_fail(SubIndication.TRY_LATER, result.detail or result.status)]
    return []


@functools.lru_cache(maxsize=64)
def _anchor_info(der: bytes) -> CertificateInfo:
    # Anchors are few and fixed: describe each once per process.
    return CertificateInfo.from_der(der)


def _to_crypto(asn1_cert: Any) -> x509.Certificate:
    return x509.load_der_x509_certificate(asn1_cert.dump())


_ADES_MAP = {s.name: s for s in SubIndication}
# pyHanko's *_NO_POE sub-indications: without proof of existence the service verifies at submission
# time, where they are final (the deviation documented in report.MAIN_INDICATION).
_ADES_EXTRA = {
    "OUT_OF_BOUNDS_NO_POE": SubIndication.EXPIRED,
    "OUT_OF_BOUNDS_NOT_REVOKED": SubIndication.EXPIRED,
    "REVOKED_NO_POE": SubIndication.REVOKED,
    "REVOKED_CA_NO_POE": SubIndication.REVOKED,
    "CRYPTO_CONSTRAINTS_FAILURE_NO_POE": SubIndication.CRYPTO_CONSTRAINTS_FAILURE,
    "REVOCATION_OUT_OF_BOUNDS_NO_POE": SubIndication.TRY_LATER,
}


def _map_ades(indic: Any) -> SubIndication | None:
    """pyHanko's AdES sub-indication (an enum member of pyhanko.sign.ades.report) in ours."""
    if indic is None:
        return None
    name = getattr(indic, "name", str(indic))
    return _ADES_MAP.get(name) or _ADES_EXTRA.get(name) or SubIndication.CERTIFICATE_CHAIN_GENERAL_FAILURE


def _cms_status_checks(state: _State, status: Any, *, part: str = "signature") -> None:
    """Integrity, then the signature value, then algorithms: the order of every container."""
    md = str(getattr(status, "md_algorithm", "") or "").lower()
    if not status.intact:
        raise _fail(SubIndication.HASH_FAILURE, "digest_mismatch", part=part)
    if not status.valid:
        raise _fail(SubIndication.SIG_CRYPTO_FAILURE, "signature_value_invalid", part=part)
    if md in WEAK_DIGESTS:
        raise _fail(SubIndication.CRYPTO_CONSTRAINTS_FAILURE, f"weak_digest_{md}", part=part)
    if part == "signature":
        reported = getattr(status, "signer_reported_dt", None)
        if reported is not None:
            state.signing_time = reported.astimezone(UTC)


def _key_usage() -> Any:
    from pyhanko.sign.validation import KeyUsageConstraints

    return KeyUsageConstraints(key_usage=set(KEY_USAGE), match_all_key_usages=True)


def _algorithm_policy() -> Any:
    """pyHanko checks digests and signature values under any algorithm, so that integrity is judged
    before algorithms (a tampered SHA-1 file is HASH_FAILURE); weak ones are refused afterwards."""
    from pyhanko.sign.validation.utils import CMSAlgorithmUsagePolicy
    from pyhanko_certvalidator.policy_decl import AcceptAllAlgorithms

    return CMSAlgorithmUsagePolicy.lift_policy(AcceptAllAlgorithms())


def _pyhanko_error(exc: Exception, *, part: str = "signature") -> VerificationFailure:
    """A refusal raised by pyHanko, by the AdES sub-indication it carries (never by class name).
    pyHanko's structural refusals carry none (GENERIC by default): those are format failures."""
    text = str(exc)[:200]
    indic = getattr(exc, "ades_subindication", None)
    sub = _map_ades(indic) if indic is not None else None
    if sub is None or sub == SubIndication.GENERIC:
        return _fail(SubIndication.FORMAT_FAILURE, f"pyhanko: {text}", part=part)
    return _fail(sub, f"pyhanko: {text}", part=part)


# --- PAdES -----------------------------------------------------------------------------------------
_DIFF_DETAILS = {
    "FORM_FILLING": "form_fields_filled_after_signing",
    "ANNOTATIONS": "annotations_added_after_signing",
    "OTHER": "content_changed_after_signing",
}


async def _pades(state: _State, data: bytes, policy: VerificationPolicy) -> tuple[x509.Certificate, dict[str, Any]]:
    """The first signature of a PDF, its later co-signatures and document timestamps, and what the
    first one covers, judged in that order (the first failure is the one reported)."""
    reader, embedded, kinds, revisions = _pdf_signatures(data, policy)
    signatures = [e for e, kind in zip(embedded, kinds, strict=True) if kind == "/Sig"]
    stamps = [e for e, kind in zip(embedded, kinds, strict=True) if kind == "/DocTimeStamp"]
    state.signature_count = len(signatures)
    if not signatures:
        raise _fail(SubIndication.SIGNED_DATA_NOT_FOUND, "no_signature" if not stamps else "only_document_timestamps")
    if len(signatures) > 1 and not policy.allow_later_signatures:
        raise _fail(SubIndication.FORMAT_FAILURE, "more_than_one_signature")
    first = signatures[0]
    try:
        state.candidate = _to_crypto(first.signer_cert)
    except Exception:  # noqa: BLE001  (no identifiable signer: pyHanko says which below)
        state.candidate = None
    vc = policy.validation_context(state.moment)
    status = await _pdf_first_signature(state, first, vc, policy)
    _cms_status_checks(state, status)
    _signature_timestamp(state, status, policy)
    await _pdf_later_signatures(signatures[1:], vc)
    for stamp in stamps:
        await _document_timestamp(state, stamp, policy)
    _pdf_coverage(data, status, first, embedded, revisions, cosigned=len(signatures) > 1)
    state.signed_content = _embedded_xml(reader, first, policy.embedded_xml_name)
    if state.signed_content is None:
        state.warnings.append("no_embedded_xml")
    return _signer_outcome(status)


def _pdf_signatures(data: bytes, policy: VerificationPolicy) -> tuple[Any, list[Any], list[str], int]:
    """The reader, the embedded signature objects in revision order with their kinds (/Sig,
    /DocTimeStamp), and the number of revisions."""
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.pdf_utils.reader import PdfFileReader

    if len(data) > policy.max_bytes:
        raise _fail(SubIndication.FORMAT_FAILURE, "file_too_large")
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        embedded = sorted(reader.embedded_signatures, key=lambda s: s.signed_revision)
        kinds = [e.sig_object_type for e in embedded]
        revisions = reader.xrefs.total_revisions
    except (PdfError, ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
        raise _fail(SubIndication.FORMAT_FAILURE, f"pdf_unreadable: {type(exc).__name__}") from exc
    return reader, embedded, kinds, revisions


async def _pdf_first_signature(state: _State, first: Any, vc: Any, policy: VerificationPolicy) -> Any:
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.sign.validation import async_validate_pdf_signature

    failure: Exception | None = None
    try:
        status = await async_validate_pdf_signature(
            first,
            signer_validation_context=vc,
            ts_validation_context=policy.tsa_validation_context(state.moment),
            key_usage_settings=_key_usage(),
            algorithm_policy=_algorithm_policy(),
        )
    except (PdfError, ValueError, KeyError, TypeError) as exc:  # pyHanko's refusals are ValueErrors
        failure = exc
    if failure is not None:
        raise _pyhanko_error(failure)
    return status


async def _pdf_later_signatures(later_signatures: list[Any], vc: Any) -> None:
    """Co-signatures added after the first must be intact and valid."""
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.sign.validation import async_validate_pdf_signature

    for later in later_signatures:
        try:
            later_status = await async_validate_pdf_signature(
                later, signer_validation_context=vc, skip_diff=True, algorithm_policy=_algorithm_policy()
            )
        except (PdfError, ValueError, KeyError, TypeError) as exc:
            raise _fail(SubIndication.FORMAT_FAILURE, f"a_later_signature_is_invalid: {str(exc)[:120]}") from exc
        if not (later_status.intact and later_status.valid):
            raise _fail(SubIndication.FORMAT_FAILURE, "a_later_signature_is_invalid")


def _pdf_coverage(data: bytes, status: Any, first: Any, embedded: list[Any], revisions: int, *, cosigned: bool) -> None:
    """The first signature covers the whole file; or its revision, followed by updates that pyHanko's
    difference analysis rates harmless (validation data, document timestamps; signatures when
    allowed)."""
    from pyhanko.sign.diff_analysis import ModificationLevel
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    if status.coverage == SignatureCoverageLevel.ENTIRE_REVISION:
        if first.signed_revision >= revisions - 1:
            raise _fail(
                SubIndication.FORMAT_FAILURE, "data_after_the_signed_revision: not a PDF update (junk after %%EOF)"
            )
        level = status.modification_level
        allowed = {ModificationLevel.NONE, ModificationLevel.LTA_UPDATES}
        if cosigned:
            allowed.add(ModificationLevel.FORM_FILLING)  # a co-signature fills its signature field
        if level not in allowed:
            name = getattr(level, "name", "OTHER")
            raise _fail(SubIndication.FORMAT_FAILURE, _DIFF_DETAILS.get(name, f"changes_after_signing: {name}"))
        if status.docmdp_ok is False:
            raise _fail(SubIndication.FORMAT_FAILURE, "docmdp_violation")
        _no_trailing_data(data, embedded, revisions)
    elif status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
        raise _fail(
            SubIndication.FORMAT_FAILURE,
            f"signature_does_not_cover_the_file: {getattr(status.coverage, 'name', None)}",
        )


def _no_trailing_data(data: bytes, embedded: list[Any], revisions: int) -> None:
    """Nothing may follow the last revision: the element that signs it covers the whole file, or
    (the last revision being an unsigned validation-data update) the file ends at its %%EOF."""
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    last = [e for e in embedded if e.signed_revision == revisions - 1]
    if last:
        if last[0].evaluate_signature_coverage() != SignatureCoverageLevel.ENTIRE_FILE:
            raise _fail(SubIndication.FORMAT_FAILURE, "data_after_the_last_revision: not a PDF update")
    elif not data.rstrip().endswith(b"%%EOF"):
        raise _fail(SubIndication.FORMAT_FAILURE, "data_after_the_last_revision: not a PDF update")


async def _document_timestamp(state: _State, stamp: Any, policy: VerificationPolicy) -> None:
    """An RFC 3161 document timestamp: intact, its value, its algorithm, then a TSA trust anchor."""
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.sign.validation import async_validate_pdf_timestamp

    try:
        status = await async_validate_pdf_timestamp(
            stamp, validation_context=policy.tsa_validation_context(state.moment), skip_diff=True
        )
    except (PdfError, ValueError, KeyError, TypeError) as exc:
        raise _pyhanko_error(exc, part="timestamp") from exc
    _examine_timestamp(state, status, policy, kind="document", revision=stamp.signed_revision)


def _examine_timestamp(
    state: _State, status: Any, policy: VerificationPolicy, *, kind: str, revision: int | None = None
) -> None:
    """An RFC 3161 timestamp as pyHanko judged it (a ``TimestampSignatureStatus``): intact (its
    imprint), its value, its algorithm, then a TSA trust anchor. It is listed in the report before
    any refusal, so the report says which timestamp failed; the TSA certificate's revocation is
    looked up afterwards, outside the event loop (``_judge_timestamp_authorities``).

    ``kind``: "document" (a PDF /DocTimeStamp) or "signature" (over a signature value: the
    signature-time-stamp attribute of CMS and PAdES, a XAdES SignatureTimeStamp)."""
    from delegations.signatures.profile import fingerprint

    part = "timestamp"
    tsa = _to_crypto(status.signing_cert) if status.signing_cert is not None else None
    entry: dict[str, Any] = {
        "kind": kind,
        "time": status.timestamp.astimezone(UTC).isoformat(),
        "authority": tsa.subject.rfc4514_string() if tsa is not None else "",
        "authority_sha256": fingerprint(tsa) if tsa is not None else "",
        "trusted": bool(status.trusted),
    }
    if revision is not None:
        entry["revision"] = revision
    state.timestamps.append(entry)
    _cms_status_checks(state, status, part=part)
    if not policy.tsa_anchors:
        raise _fail(SubIndication.NO_CERTIFICATE_CHAIN_FOUND, "timestamp: no_tsa_trust_anchors_configured", part=part)
    if not status.trusted or tsa is None:
        sub = _map_ades(status.trust_problem_indic) or SubIndication.NO_CERTIFICATE_CHAIN_FOUND
        name = getattr(status.trust_problem_indic, "name", "")
        raise _fail(sub, f"timestamp: authority_not_trusted {name}".strip(), part=part)
    state.pending_stamps.append((entry, tsa, _path_issuer(status), status.timestamp.astimezone(UTC)))


def _path_issuer(status: Any) -> x509.Certificate | None:
    """The certificate that issued the leaf of pyHanko's validation path (a TSA root, usually)."""
    path: Any = getattr(status, "validation_path", None)
    if path is None:
        return None
    try:
        authority = path.find_issuing_authority(path.leaf)
        return _to_crypto(authority.certificate)
    except (AttributeError, LookupError, ValueError):
        return None


def _judge_timestamp_authorities(state: _State, policy: VerificationPolicy) -> None:
    """Revocation of each trusted timestamp's TSA certificate (ETSI EN 319 102-1 §5.4: a timestamp
    is only as good as its TSA certificate). Revoked before the time the timestamp asserts: the
    timestamp proves nothing (REVOKED). Revoked later: the timestamp stands, and the report says so.
    No fresh answer: TRY_LATER, never a silent good."""
    part = "timestamp"
    pending, state.pending_stamps = state.pending_stamps, []
    for entry, tsa, issuer, when in pending:
        if policy.tsa_revocation is None:
            raise _fail(SubIndication.TRY_LATER, "timestamp: no_tsa_revocation_source_configured", part=part)
        if issuer is None:
            raise _fail(SubIndication.TRY_LATER, "timestamp: tsa_issuer_unknown", part=part)
        result = policy.tsa_revocation.check(tsa, issuer, state.moment)
        entry["revocation"] = {
            "status": result.status,
            "source": result.source,
            "revoked_at": result.revoked_at.isoformat() if result.revoked_at else None,
            "detail": result.detail,
            "crl_sha256": result.evidence.get("crl_sha256"),
        }
        if result.status == rev.REVOKED and (result.revoked_at is None or result.revoked_at <= when):
            revoked = result.revoked_at.isoformat() if result.revoked_at else "?"
            raise _fail(
                SubIndication.REVOKED,
                f"timestamp: tsa_certificate_revoked_at {revoked} before_the_time_stamped {when.isoformat()}",
                part=part,
            )
        if result.status not in (rev.GOOD, rev.REVOKED):
            raise _fail(
                SubIndication.TRY_LATER, f"timestamp: tsa_revocation {result.detail or result.status}", part=part
            )


def _signature_timestamp(state: _State, status: Any, policy: VerificationPolicy) -> None:
    """The signature-time-stamp attribute pyHanko validated beside the signature (CAdES-T, PAdES-T):
    judged and reported like a document timestamp. (pyHanko keeps the one it trusted, or the last.)"""
    stamp = getattr(status, "timestamp_validity", None)
    if stamp is not None:
        _examine_timestamp(state, stamp, policy, kind="signature")


def _signer_outcome(status: Any) -> tuple[x509.Certificate, dict[str, Any]]:
    der = status.signing_cert.dump()
    verdict = {
        "library_verdict": _map_ades(status.trust_problem_indic),
        "library_detail": f"pyhanko: {getattr(status.trust_problem_indic, 'name', '')}",
        "library_anchor": _path_anchor(status),
        "signer_der": der,
    }
    return x509.load_der_x509_certificate(der), verdict


def _path_anchor(status: Any) -> x509.Certificate | None:
    """The trust anchor of pyHanko's validation path when it found one to a pinned root."""
    path = getattr(status, "validation_path", None)
    if path is None or status.trust_problem_indic is not None:
        return None
    try:
        anchor = path.trust_anchor.certificate
    except AttributeError:
        return None
    return _to_crypto(anchor) if anchor is not None else None


def _embedded_xml(reader: Any, embedded: Any, name: str) -> bytes | None:
    """The embedded XML file as it was in the revision the signature covers (not as later revisions
    may have replaced it)."""
    root = reader.get_historical_resolver(embedded.signed_revision).root
    try:
        names = root["/Names"]["/EmbeddedFiles"]["/Names"]
    except KeyError:
        return None
    found: dict[str, bytes] = {}
    for i in range(0, len(names) - 1, 2):
        spec = names[i + 1].get_object()
        try:
            found[str(names[i])] = spec["/EF"]["/F"].get_object().data
        except KeyError:
            continue
    if name in found:
        return found[name]
    xmls = [v for k, v in found.items() if k.lower().endswith(".xml")]
    return xmls[0] if len(xmls) == 1 else None


# --- CMS -------------------------------------------------------------------------------------------
async def _cms(
    state: _State, data: bytes, content: bytes | None, policy: VerificationPolicy
) -> tuple[x509.Certificate, dict[str, Any]]:
    from asn1crypto import cms, pem
    from pyhanko.sign.validation import async_validate_detached_cms

    if len(data) > policy.max_bytes:
        raise _fail(SubIndication.FORMAT_FAILURE, "file_too_large")
    if pem.detect(data):
        try:
            _, _, data = pem.unarmor(data)
        except ValueError as exc:
            raise _fail(SubIndication.FORMAT_FAILURE, "bad_pem") from exc
    try:
        info = cms.ContentInfo.load(data, strict=True)
        if info["content_type"].native != "signed_data":
            raise _fail(SubIndication.FORMAT_FAILURE, "not_signed_data")
        signed_data = info["content"]
        signer_infos = signed_data["signer_infos"]
        count = len(signer_infos)
        encap = signed_data["encap_content_info"]["content"]
        embedded = encap.native if encap is not None else None
    except VerificationFailure:
        raise
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        raise _fail(SubIndication.FORMAT_FAILURE, f"not_cms: {type(exc).__name__}") from exc
    state.signature_count = count
    if count != 1:
        raise _fail(SubIndication.FORMAT_FAILURE, f"{count}_signer_infos")
    if embedded is not None:
        raise _fail(SubIndication.FORMAT_FAILURE, "not_detached")
    if content is None:
        raise _fail(SubIndication.SIGNED_DATA_NOT_FOUND, "detached_content_missing")
    content = _as_bytes(content)
    state.signed_content = content
    if not signed_data["certificates"]:
        raise _fail(SubIndication.NO_SIGNING_CERTIFICATE_FOUND, "no_certificates")
    vc = policy.validation_context(state.moment)
    try:
        status = await async_validate_detached_cms(
            content,
            signed_data,
            signer_validation_context=vc,
            ts_validation_context=policy.tsa_validation_context(state.moment),
            key_usage_settings=_key_usage(),
            algorithm_policy=_algorithm_policy(),
        )
    except (ValueError, KeyError, TypeError) as exc:  # pyHanko's refusals are ValueErrors
        raise _pyhanko_error(exc) from exc
    _cms_status_checks(state, status)
    _signature_timestamp(state, status, policy)
    return _signer_outcome(status)


# --- XML -------------------------------------------------------------------------------------------
_parsers = threading.local()


def _hardened_parser() -> Any:
    """No entities, no DTD, no network, no huge trees. One per thread: lxml parsers are not to be
    shared between threads, and building one per call costs more than parsing a delegation."""
    parser = getattr(_parsers, "parser", None)
    if parser is None:
        from lxml import etree

        parser = etree.XMLParser(
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            dtd_validation=False,
            huge_tree=False,
            remove_blank_text=False,
            collect_ids=False,
        )
        _parsers.parser = parser
    return parser


def _xml(state: _State, data: bytes, policy: VerificationPolicy) -> None:
    """An enveloped XMLDSig or XAdES signature over the whole document, judged in the order of the
    checks below (the first failure is the one reported)."""
    root = _xml_document(data, policy)
    signature, xades, certs, leaves = _xml_signature(state, root)
    refs = _xml_references(signature, root, xades)
    signer_der, signer = _xml_signer(signature, certs, leaves, xades)
    results = _xml_integrity(state, data, signer, len(refs), xades)
    _xml_algorithm_strength(signature)
    _xml_signed_content(state, results, root)
    if xades:
        _xades_signing_time(state, signature)
        _xades_signature_timestamps(state, signature, policy)
        _judge_timestamp_authorities(state, policy)
    _judge_signer(state, signer, policy, signer_der=signer_der, **_path_verdict(signer, policy, state.moment))


def _xml_document(data: bytes, policy: VerificationPolicy) -> Any:
    """The parsed root, with no DTD or entity, within the size limit."""
    from lxml import etree

    if len(data) > policy.max_bytes:
        raise _fail(SubIndication.FORMAT_FAILURE, "file_too_large")
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise _fail(SubIndication.FORMAT_FAILURE, "dtd_or_entity_not_allowed")
    try:
        root = etree.fromstring(data, parser=_hardened_parser())
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise _fail(SubIndication.FORMAT_FAILURE, "xml_not_well_formed") from exc
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise _fail(SubIndication.FORMAT_FAILURE, "dtd_or_entity_not_allowed")
    return root


_XmlCertificates = list[tuple[bytes, x509.Certificate]]


def _xml_signature(state: _State, root: Any) -> tuple[Any, bool, _XmlCertificates | None, _XmlCertificates]:
    """The one Signature element, enveloped in the root, with its certificates decoded once."""
    # Every Signature element, the root itself included (an enveloping signature is the root; a
    # counter-signature sits inside another signature).
    signatures = list(root.iter(f"{{{DSIG_NS}}}Signature"))
    state.signature_count = len(signatures)
    if not signatures:
        raise _fail(SubIndication.SIGNED_DATA_NOT_FOUND, "no_signature")
    signature = signatures[0]
    xades = signature.find(f".//{{{XADES_NS}}}SignedProperties") is not None
    state.container = "xades" if xades else "xmldsig"
    # Each certificate is decoded once: cryptography parses a certificate's extensions on first use,
    # which costs more than the whole XML parse, and caches them on that object.
    certs = _xml_certificates(signature)
    leaves = [c for c in certs or () if not _is_ca(c[1])]
    state.candidate = leaves[0][1] if certs is not None and len(leaves) == 1 else None
    if signature is root:
        raise _fail(
            SubIndication.FORMAT_FAILURE,
            'enveloping_signature: the delegation must carry an enveloped signature (Reference URI="")',
        )
    if len(signatures) > 1:
        raise _fail(SubIndication.FORMAT_FAILURE, f"more_than_one_signature: {len(signatures)}")
    if signature.getparent() is not root:
        raise _fail(SubIndication.FORMAT_FAILURE, "signature_not_enveloped_in_the_root")
    return signature, xades, certs, leaves


def _xml_references(signature: Any, root: Any, xades: bool) -> list[Any]:
    """The references, when they are exactly the expected ones: the whole document (URI=""), the
    signed properties of XAdES, the signature's own KeyInfo; and only transforms that keep the whole
    document (wrapping attacks reference something other than the whole document)."""
    refs = signature.findall(f"{{{DSIG_NS}}}SignedInfo/{{{DSIG_NS}}}Reference")
    whole = [r for r in refs if r.get("URI") == ""]
    others = [r for r in refs if r.get("URI") != ""]
    if any(not (r.get("URI") or "").startswith("#") for r in others):
        raise _fail(SubIndication.FORMAT_FAILURE, "detached_signature: a reference points outside the document")
    root_ids = {root.get(a) for a in ("Id", "ID", "id") if root.get(a)}
    if not whole and any((r.get("URI") or "")[1:] in root_ids for r in others):
        raise _fail(
            SubIndication.FORMAT_FAILURE,
            'reference_to_the_root_element_id: the service accepts only URI="" for the whole document',
        )
    if len(whole) != 1:
        raise _fail(SubIndication.FORMAT_FAILURE, "reference_to_whole_document_missing")
    if xades:
        props = signature.find(f".//{{{XADES_NS}}}SignedProperties")
        props_id = props.get("Id") if props is not None else None
        to_props = [
            r for r in others if r.get("URI") == f"#{props_id}" and r.get("Type") == XADES_SIGNED_PROPERTIES_TYPE
        ]
        if len(to_props) != 1:
            raise _fail(SubIndication.FORMAT_FAILURE, "signed_properties_reference_missing")
        others.remove(to_props[0])
    # A reference to the signature's own KeyInfo (signxml's XAdES adds one) is harmless; nothing else is.
    key_info = signature.find(f"{{{DSIG_NS}}}KeyInfo")
    key_info_id = key_info.get("Id") if key_info is not None else None
    others = [r for r in others if not (key_info_id and r.get("URI") == f"#{key_info_id}")]
    if others:
        raise _fail(SubIndication.FORMAT_FAILURE, "unexpected_reference")
    # Only transforms that keep "the whole document": an XPath or XSLT transform could leave parts
    # of a URI="" reference unsigned.
    for ref in refs:
        for transform in ref.iter(f"{{{DSIG_NS}}}Transform"):
            if transform.get("Algorithm") not in ALLOWED_TRANSFORMS:
                raise _fail(SubIndication.FORMAT_FAILURE, "unexpected_transform")
    return refs


def _xml_signer(
    signature: Any, certs: _XmlCertificates | None, leaves: _XmlCertificates, xades: bool
) -> tuple[bytes, x509.Certificate]:
    """The one end-entity certificate, and for XAdES the one its signed properties name."""
    if certs is None:
        raise _fail(SubIndication.FORMAT_FAILURE, "bad_x509_certificate_element")
    if len(leaves) != 1:
        raise _fail(SubIndication.NO_SIGNING_CERTIFICATE_FOUND, f"{len(leaves)}_end_entity_certificates")
    signer_der, signer = leaves[0]
    if xades:
        _xades_signing_certificate(signature, signer_der)
    return signer_der, signer


def _xml_integrity(state: _State, data: bytes, signer: x509.Certificate, references: int, xades: bool) -> list[Any]:
    """signxml's verification of the digests and the signature value, with every algorithm admitted
    so that integrity is judged before strength."""
    from lxml import etree
    from signxml import (
        InvalidCertificate,
        InvalidDigest,
        InvalidInput,
        InvalidSignature,
        SignatureConfiguration,
        XMLVerifier,
    )
    from signxml.xades import XAdESSignatureConfiguration, XAdESVerifier

    # signxml refuses a certificate outside its validity at verification_time; the period is judged
    # in step 5 with its own sub-indication, so signxml checks the signature at a time inside it.
    inside = min(max(state.moment, signer.not_valid_before_utc), signer.not_valid_after_utc)
    methods, digests = _xml_algorithms()
    try:
        if xades:
            xades_config = XAdESSignatureConfiguration(
                expect_references=references,
                verification_time=inside,
                signature_methods=methods,
                digest_algorithms=digests,
            )
            return list(
                XAdESVerifier().verify(data, x509_cert=signer, parser=_hardened_parser(), expect_config=xades_config)
            )
        config = SignatureConfiguration(
            expect_references=references,
            verification_time=inside,
            signature_methods=methods,
            digest_algorithms=digests,
        )
        outcome: Any = XMLVerifier().verify(data, x509_cert=signer, parser=_hardened_parser(), expect_config=config)
        return outcome if isinstance(outcome, list) else [outcome]
    except InvalidDigest as exc:
        raise _fail(SubIndication.HASH_FAILURE, "reference_digest_mismatch") from exc
    except (InvalidSignature, InvalidCertificate) as exc:
        raise _fail(SubIndication.SIG_CRYPTO_FAILURE, f"signature_value_invalid: {str(exc)[:120]}") from exc
    except (InvalidInput, etree.XMLSyntaxError, etree.DocumentInvalid, ValueError) as exc:
        # DocumentInvalid: the Signature element breaks the XMLDSig/XAdES schema signxml checks.
        raise _fail(SubIndication.FORMAT_FAILURE, f"signxml: {str(exc)[:160]}") from exc


def _xml_algorithm_strength(signature: Any) -> None:
    algorithms = [
        (el.get("Algorithm") or "").lower()
        for el in signature.iter(f"{{{DSIG_NS}}}SignatureMethod", f"{{{DSIG_NS}}}DigestMethod")
    ]
    weak = sorted({a.rsplit("#", 1)[-1] for a in algorithms if a.endswith(("sha1", "#md5"))})
    if weak:
        raise _fail(SubIndication.CRYPTO_CONSTRAINTS_FAILURE, f"weak_xml_algorithm: {', '.join(weak)}")


def _xml_signed_content(state: _State, results: list[Any], root: Any) -> None:
    """What was signed, canonicalised: the document the signature envelops."""
    from lxml import etree

    signed = next((r.signed_xml for r in results if r.signed_xml is not None and r.signed_xml.tag == root.tag), None)
    if signed is None:
        raise _fail(SubIndication.FORMAT_FAILURE, "signed_document_not_found")
    state.signed_content = etree.tostring(signed, method="c14n")


def _xades_signing_time(state: _State, signature: Any) -> None:
    when = signature.find(f".//{{{XADES_NS}}}SigningTime")
    if when is not None and when.text:
        try:
            state.signing_time = datetime.fromisoformat(when.text.strip()).astimezone(UTC)
        except ValueError:
            state.warnings.append("unreadable_signing_time")


@functools.cache
def _xml_algorithms() -> tuple[frozenset[Any], frozenset[Any]]:
    """Every signature method but HMAC, and every digest, for signxml (weak ones are refused after
    the integrity checks). Built once: walking the enums costs more than verifying a digest."""
    from signxml import DigestAlgorithm, SignatureMethod

    return frozenset(m for m in SignatureMethod if not m.name.startswith("HMAC")), frozenset(DigestAlgorithm)


# Canonicalisations a XAdES SignatureTimeStamp may name for its input, as lxml's tostring() options.
# C14N 1.1 differs from 1.0 only in how xml:id and xml:base are inherited, which a ds:SignatureValue
# element does not have in any signature this service accepts.
_TIMESTAMP_C14N = {
    "http://www.w3.org/TR/2001/REC-xml-c14n-20010315": {"exclusive": False, "with_comments": False},
    "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments": {"exclusive": False, "with_comments": True},
    "http://www.w3.org/2006/12/xml-c14n11": {"exclusive": False, "with_comments": False},
    "http://www.w3.org/2006/12/xml-c14n11#WithComments": {"exclusive": False, "with_comments": True},
    "http://www.w3.org/2001/10/xml-exc-c14n#": {"exclusive": True, "with_comments": False},
    "http://www.w3.org/2001/10/xml-exc-c14n#WithComments": {"exclusive": True, "with_comments": True},
}


def _xades_signature_timestamps(state: _State, signature: Any, policy: VerificationPolicy) -> None:
    """XAdES-T: each xades:SignatureTimeStamp of the unsigned signature properties is an RFC 3161
    token whose imprint covers the canonical ds:SignatureValue element (ETSI EN 319 132-1,
    SignatureTimeStamp); it is verified against the TSA trust list and reported like a PDF timestamp."""
    part = "timestamp"
    anywhere = signature.findall(f".//{{{XADES_NS}}}SignatureTimeStamp")
    if not anywhere:
        return
    from lxml import etree

    stamps = signature.findall(
        f"{{{DSIG_NS}}}Object/{{{XADES_NS}}}QualifyingProperties/{{{XADES_NS}}}UnsignedProperties/"
        f"{{{XADES_NS}}}UnsignedSignatureProperties/{{{XADES_NS}}}SignatureTimeStamp"
    )
    if len(anywhere) != len(stamps):
        # A timestamp anywhere else would be shown to nobody and checked by nothing.
        raise _fail(SubIndication.FORMAT_FAILURE, "timestamp: signature_timestamp_out_of_place", part=part)
    value = signature.find(f"{{{DSIG_NS}}}SignatureValue")
    for stamp in stamps:
        options, signed_data = _xades_timestamp_token(stamp)
        _check_signature_timestamp(state, signed_data, etree.tostring(value, method="c14n", **options), policy)


def _xades_timestamp_token(stamp: Any) -> tuple[dict[str, Any], Any]:
    """A xades:SignatureTimeStamp's canonicalisation options and its token's SignedData."""
    from asn1crypto import cms

    part = "timestamp"
    method = stamp.find(f"{{{DSIG_NS}}}CanonicalizationMethod")
    algorithm = method.get("Algorithm") if method is not None else "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
    options = _TIMESTAMP_C14N.get(algorithm or "")
    if options is None:
        raise _fail(SubIndication.FORMAT_FAILURE, "timestamp: unsupported_canonicalisation", part=part)
    tokens = stamp.findall(f"{{{XADES_NS}}}EncapsulatedTimeStamp")
    if len(tokens) != 1:
        raise _fail(SubIndication.FORMAT_FAILURE, "timestamp: one_encapsulated_timestamp_expected", part=part)
    try:
        der = base64.b64decode("".join((tokens[0].text or "").split()), validate=True)
        info = cms.ContentInfo.load(der, strict=True)
        if info["content_type"].native != "signed_data":
            raise ValueError("not SignedData")
        signed_data = info["content"]
        signed_data["encap_content_info"]["content"].parsed  # noqa: B018  (parse it here, not later)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise _fail(SubIndication.FORMAT_FAILURE, "timestamp: unreadable_signature_timestamp", part=part) from exc
    return options, signed_data


def _check_signature_timestamp(state: _State, signed_data: Any, covered: bytes, policy: VerificationPolicy) -> None:
    """The token is a sound timestamp of a trusted TSA whose imprint is that of ``covered``."""
    from pyhanko.sign.validation.generic_cms import get_hash_spec_for_tst_digest, validate_tst_signed_data
    from pyhanko.sign.validation.status import TimestampSignatureStatus

    part = "timestamp"

    def imprint(algo: str) -> bytes:
        digest = hashes.Hash(get_hash_spec_for_tst_digest(algo))
        digest.update(covered)
        return digest.finalize()

    try:
        kwargs = _run_coroutine(
            validate_tst_signed_data(
                signed_data,
                policy.tsa_validation_context(state.moment),
                imprint,
                algorithm_policy=_algorithm_policy(),
            )
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise _pyhanko_error(exc, part=part) from exc
    try:
        _examine_timestamp(state, TimestampSignatureStatus(**kwargs), policy, kind="signature")
    except VerificationFailure as failure:
        if failure.sub != SubIndication.HASH_FAILURE:
            raise
        # A sound token over something else than this signature value (moved from another signature).
        raise _fail(
            SubIndication.HASH_FAILURE, "timestamp: imprint_does_not_match_the_signature_value", part=part
        ) from failure


def _xml_certificates(signature: Any) -> list[tuple[bytes, x509.Certificate]] | None:
    """(DER, certificate) for each X509Certificate of a Signature element; None when one of them
    is not a certificate."""
    out = []
    for el in signature.iter(f"{{{DSIG_NS}}}X509Certificate"):
        try:
            der = base64.b64decode("".join((el.text or "").split()))
            out.append((der, x509.load_der_x509_certificate(der)))
        except ValueError:
            return None
    return out


def _xades_signing_certificate(signature: Any, signer_der: bytes) -> None:
    """XAdES binds its signer: the first xades:Cert of SigningCertificate(V2) must be the KeyInfo
    certificate (as pyHanko checks the ESS signing-certificate attribute of CMS and PDF)."""
    from signxml import DigestAlgorithm
    from signxml.algorithms import digest_algorithm_implementations

    cert = signature.find(f".//{{{XADES_NS}}}Cert")
    if cert is None:
        return  # signxml refuses a XAdES signature without SigningCertificate(V2)
    method = cert.find(f"{{{XADES_NS}}}CertDigest/{{{DSIG_NS}}}DigestMethod")
    value = cert.findtext(f"{{{XADES_NS}}}CertDigest/{{{DSIG_NS}}}DigestValue") or ""
    try:
        algorithm = digest_algorithm_implementations[
            DigestAlgorithm(method.get("Algorithm") if method is not None else "")
        ]
        expected = base64.b64decode("".join(value.split()), validate=True)
    except (ValueError, KeyError) as exc:
        raise _fail(SubIndication.FORMAT_FAILURE, "xades_signing_certificate_unreadable") from exc
    digest = hashes.Hash(algorithm())
    digest.update(signer_der)
    if digest.finalize() != expected:
        raise _fail(
            SubIndication.NO_SIGNING_CERTIFICATE_FOUND,
            "signing_certificate_reference_does_not_match_the_keyinfo_certificate",
        )


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def _path_verdict(cert: x509.Certificate, policy: VerificationPolicy, moment: datetime) -> dict[str, Any]:
    """cryptography's RFC 5280 path validation (the verifier signxml itself uses) to a pinned anchor.

    Extension policies: JPKI marks certificatePolicies critical, so it is admitted; every other
    critical extension the validator does not understand still fails the path, as RFC 5280 requires.
    """
    from cryptography.x509.verification import PolicyBuilder, VerificationError

    if not policy.anchors:
        return {"library_verdict": SubIndication.NO_CERTIFICATE_CHAIN_FOUND, "library_detail": "no_anchors"}
    store, ee_policy, ca_policy = policy.path_store
    builder = PolicyBuilder().store(store).time(moment).extension_policies(ee_policy=ee_policy, ca_policy=ca_policy)
    try:
        verified = builder.build_client_verifier().verify(cert, [])
    except VerificationError as exc:
        text = str(exc)
        if "Forbidden" in text:
            sub = SubIndication.CRYPTO_CONSTRAINTS_FAILURE
        elif "signature does not match" in text or "candidates exhausted" in text:
            sub = SubIndication.NO_CERTIFICATE_CHAIN_FOUND
        elif "not valid at validation time" in text:
            sub = SubIndication.EXPIRED if moment > cert.not_valid_after_utc else SubIndication.NOT_YET_VALID
        else:
            sub = SubIndication.CERTIFICATE_CHAIN_GENERAL_FAILURE
        return {"library_verdict": sub, "library_detail": text[:200]}
    except ValueError as exc:
        return {"library_verdict": SubIndication.CERTIFICATE_CHAIN_GENERAL_FAILURE, "library_detail": str(exc)[:200]}
    return {"library_verdict": None, "library_anchor": verified.chain[-1]}


__all__ = [
    "VerificationPolicy",
    "averify",
    "signed_content_matches",
    "verify",
    "verify_cms",
    "verify_pades",
    "verify_xml",
]
