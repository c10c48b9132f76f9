"""A generated test hierarchy with the JPKI signing profile, for tests, the demo and benchmarks.

Never trusted in production: ``delegations.E001`` fails ``check --deploy`` when its root is an
anchor. Its root and the look-alike carry the exact J-LIS issuer name, so only the key tells them
apart, as it would for an attacker's copy.

Everything here is pure (no ORM): keys and certificates in memory, optionally saved to a directory.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import json
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Thread
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

from delegations.signatures.profile import (
    JLIS_OU,
    JPKI_SIGN_ISSUER,
    JPKI_SIGNING_POLICY_OID,
    OID_ADDRESS,
    OID_ADDRESS_SUBSTITUTES,
    OID_BIRTH_DATE,
    OID_GENDER,
    OID_NAME,
    OID_NAME_SUBSTITUTES,
    encode_der_utf8string,
    fingerprint,
)

# An extension no validator knows, marked critical: validators must refuse the certificate.
UNKNOWN_CRITICAL_OID = ObjectIdentifier("1.3.6.1.4.1.99999.1.1")
# A non-critical marker on the test roots, so delegations.E001 recognises a test root wherever it
# was copied from (the name is the real J-LIS name on purpose).
TEST_PKI_MARKER_OID = ObjectIdentifier("1.3.6.1.4.1.99999.2.1")
TEST_PKI_MARKER = encode_der_utf8string("MynaTrust test PKI: not JPKI")


def is_test_pki_certificate(cert: x509.Certificate) -> bool:
    try:
        cert.extensions.get_extension_for_oid(TEST_PKI_MARKER_OID)
    except x509.ExtensionNotFound:
        return False
    return True


@dataclass(frozen=True)
class PersonaSpec:
    key: str
    label: str
    name: str | None = None
    name_flags: str | None = None
    address: str | None = None
    address_flags: str | None = None
    birth: str = "419800401"
    gender: str = "1"
    prefecture: str = "東京都"
    city: str = "千代田区"
    key_bits: int = 2048
    hash_name: str = "sha256"
    signing: bool = True  # False: authentication-only profile
    expired: bool = False
    untrusted: bool = False
    unknown_critical: bool = False


_LONG_ADDRESS = "北海道札幌市中央区北一条西二丁目一番地　札幌市役所本庁舎内　第三会議室前廊下突き当たり右側の扉を開けた先にある資料保管庫の奥"

PERSONAS: tuple[PersonaSpec, ...] = (
    PersonaSpec(
        "representative",
        "代表者（委任者）",
        name="代表\u3000太郎",
        address="東京都千代田区霞が関二丁目1番2号",
        birth="419700401",
        gender="1",
    ),
    PersonaSpec(
        "agent",
        "受任者",
        name="受任\u3000花子",
        address="大阪府大阪市北区中之島一丁目3番20号",
        birth="419850615",
        gender="2",
        prefecture="大阪府",
        city="大阪市",
    ),
    PersonaSpec(
        "substitute",
        "代替文字を含む人",
        name="髙橋\u3000吉男",
        name_flags="10000",
        address=_LONG_ADDRESS,
        address_flags="0" * 10 + "1" + "0" * (len(_LONG_ADDRESS) - 11),
        birth="319550000",
        gender="3",
        prefecture="北海道",
        city="札幌市",
    ),
    PersonaSpec("expired", "有効期限切れ", name="期限\u3000切男", address="東京都港区芝公園四丁目2番8号", expired=True),
    PersonaSpec("revoked", "失効済み", name="失効\u3000済子", address="東京都新宿区西新宿二丁目8番1号", gender="2"),
    PersonaSpec("authentication", "利用者証明用（署名用ではない）", signing=False),
    PersonaSpec(
        "untrusted",
        "信頼されないルート（同名の偽ルート）",
        name="偽物\u3000次郎",
        address="東京都中央区1番",
        untrusted=True,
    ),
    PersonaSpec("rsa1024", "RSA-1024 の鍵", name="短鍵\u3000一郎", address="東京都台東区1番", key_bits=1024),
    PersonaSpec("sha1", "SHA-1 で署名された証明書", name="古署\u3000名子", address="東京都墨田区1番", hash_name="sha1"),
    PersonaSpec(
        "unknown_critical",
        "未知の重要拡張を含む証明書",
        name="拡張\u3000三郎",
        address="東京都江東区1番",
        unknown_critical=True,
    ),
)
PERSONA_KEYS = tuple(p.key for p in PERSONAS)
GOOD_PERSONAS = ("representative", "agent", "substitute")


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _key(bits: int = 2048) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def _der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def _key_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _root(key: rsa.RSAPrivateKey, now: datetime, name: x509.Name = JPKI_SIGN_ISSUER) -> x509.Certificate:
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=365))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(ski, critical=False)
        .add_extension(x509.UnrecognizedExtension(TEST_PKI_MARKER_OID, TEST_PKI_MARKER), critical=False)
        .sign(key, hashes.SHA256())
    )


def _crl_dp(prefecture: str) -> x509.CRLDistributionPoints:
    # JPKI names its CRL distribution point by directory name, not by URL.
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "JPKI"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "JPKI for digital signature"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "CRL Distribution Points"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, prefecture),
            x509.NameAttribute(NameOID.COMMON_NAME, "Test CRL DP"),
        ]
    )
    return x509.CRLDistributionPoints(
        [
            x509.DistributionPoint(
                full_name=[x509.DirectoryName(name)], relative_name=None, reasons=None, crl_issuer=None
            )
        ]
    )


def _fifth_birthday_after(issued: datetime, birth: str) -> datetime:
    month, day = int(birth[5:7]) or 1, int(birth[7:9]) or 1
    year = issued.year + 5
    try:
        return issued.replace(year=year, month=month, day=day, hour=23, minute=59, second=59)
    except ValueError:  # 29 February
        return issued.replace(year=year, month=month, day=28, hour=23, minute=59, second=59)


def build_end_entity(
    spec: PersonaSpec,
    key: rsa.RSAPrivateKey,
    issuer_cert: x509.Certificate,
    issuer_key: rsa.RSAPrivateKey,
    now: datetime,
    serial: int | None = None,
) -> x509.Certificate:
    """One end-entity certificate with the JPKI profile (or the authentication-only variant)."""
    if spec.expired:
        not_before, not_after = now - timedelta(days=5 * 365), now - timedelta(days=2)
    else:
        not_before = now - timedelta(days=30)
        not_after = _fifth_birthday_after(not_before, spec.birth)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
            x509.NameAttribute(NameOID.LOCALITY_NAME, spec.prefecture),
            x509.NameAttribute(NameOID.LOCALITY_NAME, spec.city),
            x509.NameAttribute(NameOID.COMMON_NAME, secrets.token_hex(12).upper()),
        ]
    )
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_cert.subject)
        .public_key(key.public_key())
        .serial_number(serial or x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(_crl_dp(spec.prefecture), critical=False)
    )
    builder = _with_signing_profile(builder, spec) if spec.signing else _with_authentication_profile(builder)
    if spec.unknown_critical:
        builder = builder.add_extension(x509.UnrecognizedExtension(UNKNOWN_CRITICAL_OID, b"\x05\x00"), critical=True)
    cert = builder.sign(issuer_key, hashes.SHA256())
    if spec.hash_name == "sha1":
        cert = _resign_sha1(cert, issuer_key)
    return cert


def _with_signing_profile(builder: x509.CertificateBuilder, spec: PersonaSpec) -> x509.CertificateBuilder:
    """The signing certificate's key usage, critical policy and the basic four items in otherName."""
    builder = builder.add_extension(
        x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True
    ).add_extension(
        x509.CertificatePolicies([x509.PolicyInformation(ObjectIdentifier(JPKI_SIGNING_POLICY_OID), None)]),
        critical=True,
    )
    others = [
        (OID_NAME, spec.name or ""),
        (OID_NAME_SUBSTITUTES, spec.name_flags or "0" * len(spec.name or "")),
        (OID_GENDER, spec.gender),
        (OID_BIRTH_DATE, spec.birth),
        (OID_ADDRESS, spec.address or ""),
        (OID_ADDRESS_SUBSTITUTES, spec.address_flags or "0" * len(spec.address or "")),
    ]
    return builder.add_extension(
        x509.SubjectAlternativeName(
            [x509.OtherName(ObjectIdentifier(oid), encode_der_utf8string(value)) for oid, value in others]
        ),
        critical=False,
    )


def _with_authentication_profile(builder: x509.CertificateBuilder) -> x509.CertificateBuilder:
    return builder.add_extension(
        x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True
    ).add_extension(
        x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]),
        critical=False,
    )


_SHA256_RSA = bytes.fromhex("300d06092a864886f70d01010b0500")
_SHA1_RSA = bytes.fromhex("300d06092a864886f70d0101050500")


def _resign_sha1(cert: x509.Certificate, key: rsa.RSAPrivateKey) -> x509.Certificate:
    # cryptography refuses to issue SHA-1 certificates; old CAs did. Same-length algorithm swap.
    tbs = cert.tbs_certificate_bytes.replace(_SHA256_RSA, _SHA1_RSA, 1)
    signature = key.sign(tbs, padding.PKCS1v15(), hashes.SHA1())  # noqa: S303  (deliberately weak)
    return x509.load_der_x509_certificate(_tlv(0x30, tbs + _SHA1_RSA + _tlv(0x03, b"\x00" + signature)))


@dataclass
class Persona:
    spec: PersonaSpec
    key: rsa.RSAPrivateKey
    cert: x509.Certificate
    issuer: x509.Certificate

    @property
    def serial(self) -> int:
        return self.cert.serial_number

    @property
    def cert_der(self) -> bytes:
        return _der(self.cert)


@dataclass
class TestTSA:
    """An RFC 3161 time-stamping authority: its own root (with the test marker) and a TSA
    certificate (id-kp-timeStamping, critical); pyHanko's DummyTimeStamper answers in-process."""

    __test__ = False  # not a pytest class

    root_key: rsa.RSAPrivateKey
    root: x509.Certificate
    key: rsa.RSAPrivateKey
    cert: x509.Certificate
    revoked_at: datetime | None = None  # when the TSA certificate was revoked, if it was
    crl_number: int = 0

    @classmethod
    def generate(cls, now: datetime | None = None, *, name: str = "MynaTrust Test TSA") -> TestTSA:
        now = now or _now()
        root_key, key = _key(), _key()
        root_name = x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, name),
                x509.NameAttribute(NameOID.COMMON_NAME, f"{name} Root"),
            ]
        )
        root = _root(root_key, now, root_name)
        cert = (
            x509.CertificateBuilder()
            .subject_name(
                x509.Name(
                    [
                        x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
                        x509.NameAttribute(NameOID.ORGANIZATION_NAME, name),
                        x509.NameAttribute(NameOID.COMMON_NAME, f"{name} Unit 1"),
                    ]
                )
            )
            .issuer_name(root_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=30))
            .not_valid_after(now + timedelta(days=3650))
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False)
            .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
            .sign(root_key, hashes.SHA256())
        )
        return cls(root_key, root, key, cert)

    @property
    def root_der(self) -> bytes:
        return _der(self.root)

    def revoke(self, *, at: datetime | None = None) -> None:
        self.revoked_at = at or _now()

    def crl(
        self, *, this_update: datetime | None = None, next_update: datetime | None = None, number: int | None = None
    ) -> bytes:
        """A CRL (DER) from the TSA root, listing the TSA certificate once it is revoked."""
        this_update = this_update or _now() - timedelta(minutes=5)
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.root.subject)
            .last_update(this_update)
            .next_update(next_update or this_update + timedelta(days=1))
            .add_extension(x509.CRLNumber(number or self.crl_number + 1), critical=False)
        )
        self.crl_number += 1
        if self.revoked_at is not None:
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder()
                .serial_number(self.cert.serial_number)
                .revocation_date(self.revoked_at)
                .build()
            )
        return builder.sign(self.root_key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)

    def token(self, data: bytes, *, at: datetime | None = None) -> bytes:
        """An RFC 3161 time-stamp token (ContentInfo DER) over SHA-256 of ``data``."""
        digest = hashlib.sha256(data).digest()
        return bytes(asyncio.run(self.timestamper(at=at).async_timestamp(digest, "sha256")).dump())

    def timestamper(self, *, at: datetime | None = None) -> Any:
        from asn1crypto import keys as asn1_keys
        from asn1crypto import x509 as asn1_x509
        from pyhanko.sign.timestamps import DummyTimeStamper
        from pyhanko_certvalidator.registry import SimpleCertificateStore

        return DummyTimeStamper(
            tsa_cert=asn1_x509.Certificate.load(_der(self.cert)),
            tsa_key=asn1_keys.PrivateKeyInfo.load(
                self.key.private_bytes(
                    serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
                )
            ),
            certs_to_embed=SimpleCertificateStore.from_certs([asn1_x509.Certificate.load(self.root_der)]),
            fixed_dt=at,
        )


@dataclass
class TestPKI:
    """The hierarchy: ``root`` (the trust anchor), ``lookalike`` (same name, other key), personas."""

    __test__ = False  # not a pytest class

    root_key: rsa.RSAPrivateKey
    root: x509.Certificate
    lookalike_key: rsa.RSAPrivateKey
    lookalike: x509.Certificate
    ocsp_key: rsa.RSAPrivateKey
    ocsp_cert: x509.Certificate
    personas: dict[str, Persona]
    revoked: dict[int, datetime] = field(default_factory=dict)
    crl_number: int = 0
    tsa: TestTSA | None = None  # the time-stamping authority (generated on first use when absent)

    # --- building -----------------------------------------------------------------------
    @classmethod
    def generate(cls, now: datetime | None = None) -> TestPKI:
        now = now or _now()
        root_key, look_key, ocsp_key = _key(), _key(), _key()
        root = _root(root_key, now)
        lookalike = _root(look_key, now)
        ocsp_cert = (
            x509.CertificateBuilder()
            .subject_name(
                x509.Name(
                    [
                        x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
                        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "JPKI"),
                        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, JLIS_OU),
                        x509.NameAttribute(NameOID.COMMON_NAME, "Test OCSP Responder"),
                    ]
                )
            )
            .issuer_name(root.subject)
            .public_key(ocsp_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=30))
            .not_valid_after(now + timedelta(days=3650))
            .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.OCSP_SIGNING]), critical=False)
            .add_extension(x509.OCSPNoCheck(), critical=False)
            .sign(root_key, hashes.SHA256())
        )
        pki = cls(root_key, root, look_key, lookalike, ocsp_key, ocsp_cert, {}, tsa=TestTSA.generate(now))
        for spec in PERSONAS:
            pki.issue(spec, now=now)
        pki.revoke("revoked", at=now - timedelta(days=1))
        return pki

    def issue(self, spec: PersonaSpec, *, now: datetime | None = None, key: Any = None) -> Persona:
        """A persona's certificate; ``key``: another private key (an EC or Ed448 key for tests of
        refused key types)."""
        now = now or _now()
        key = key or _key(spec.key_bits)
        issuer, issuer_key = (self.lookalike, self.lookalike_key) if spec.untrusted else (self.root, self.root_key)
        cert = build_end_entity(spec, key, issuer, issuer_key, now)
        persona = Persona(spec, key, cert, issuer)
        self.personas[spec.key] = persona
        return persona

    def revoke(self, persona: str, *, at: datetime | None = None) -> None:
        self.revoked[self.personas[persona].serial] = at or _now()

    def __getitem__(self, key: str) -> Persona:
        return self.personas[key]

    @property
    def root_der(self) -> bytes:
        return _der(self.root)

    @property
    def root_fingerprint(self) -> str:
        return fingerprint(self.root)

    # --- revocation data ------------------------------------------------------------------
    def crl(
        self,
        *,
        this_update: datetime | None = None,
        next_update: datetime | None = None,
        revoked: dict[int, datetime] | None = None,
        number: int | None = None,
        signer: str = "root",
    ) -> bytes:
        """A CRL (DER) from the root, or from the look-alike with ``signer="lookalike"``."""
        this_update = this_update or _now() - timedelta(minutes=5)
        next_update = next_update or this_update + timedelta(days=1)
        if number is None:
            self.crl_number += 1
            number = self.crl_number
        key = self.lookalike_key if signer == "lookalike" else self.root_key
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.root.subject)
            .last_update(this_update)
            .next_update(next_update)
            .add_extension(x509.CRLNumber(number), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()),
                critical=False,
            )
        )
        for serial, when in (self.revoked if revoked is None else revoked).items():
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(when).build()
            )
        return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)

    def big_crl(self, count: int, *, include: tuple[int, ...] = (), next_update: datetime | None = None) -> bytes:
        """A CRL with ``count`` entries, DER-built directly (the builder API is quadratic in entries)."""
        now = _now()
        this_update = now - timedelta(minutes=5)
        next_update = next_update or now + timedelta(days=1)
        revoked_at = _der_time(now - timedelta(days=1))
        entries = []
        serials = [*include, *range(10**12, 10**12 + count - len(include))]
        for serial in serials:
            entries.append(_tlv(0x30, _der_int(serial) + revoked_at))
        self.crl_number += 1
        extensions = _tlv(
            0xA0,
            _tlv(
                0x30,
                _tlv(0x30, _der_oid("2.5.29.20") + _tlv(0x04, _der_int(self.crl_number))),
            ),
        )
        sig_alg = _tlv(0x30, _der_oid("1.2.840.113549.1.1.11") + b"\x05\x00")
        tbs = _tlv(
            0x30,
            _der_int(1)
            + sig_alg
            + self.root.subject.public_bytes()
            + _der_time(this_update)
            + _der_time(next_update)
            + _tlv(0x30, b"".join(entries))
            + extensions,
        )
        signature = self.root_key.sign(tbs, padding.PKCS1v15(), hashes.SHA256())
        return _tlv(0x30, tbs + sig_alg + _tlv(0x03, b"\x00" + signature))

    def ocsp_respond(
        self,
        request_der: bytes,
        *,
        now: datetime | None = None,
        next_update: timedelta | None = timedelta(hours=12),
        signer: str = "responder",
    ) -> bytes:
        """Answer an RFC 6960 request as the test PKI's delegated responder would."""
        now = now or _now()
        try:
            request = ocsp.load_der_ocsp_request(request_der)
        except ValueError:
            return ocsp.OCSPResponseBuilder.build_unsuccessful(ocsp.OCSPResponseStatus.MALFORMED_REQUEST).public_bytes(
                serialization.Encoding.DER
            )
        builder = self._ocsp_answer(request, now=now, next_update=next_update)
        key, responder = (
            (self.lookalike_key, self.lookalike) if signer == "lookalike" else (self.ocsp_key, self.ocsp_cert)
        )
        builder = builder.responder_id(ocsp.OCSPResponderEncoding.HASH, responder).certificates([responder])
        try:
            nonce = request.extensions.get_extension_for_class(x509.OCSPNonce).value
            builder = builder.add_extension(nonce, critical=False)
        except x509.ExtensionNotFound:
            pass
        response = builder.sign(key, hashes.SHA256())
        return response.public_bytes(serialization.Encoding.DER)

    def _ocsp_answer(
        self, request: ocsp.OCSPRequest, *, now: datetime, next_update: timedelta | None
    ) -> ocsp.OCSPResponseBuilder:
        """The single response about the serial asked for: good, revoked (with its time) or unknown."""
        target = next((p for p in self.personas.values() if p.serial == request.serial_number), None)
        if target is None or target.issuer is not self.root:
            cert, status = self.ocsp_cert, ocsp.OCSPCertStatus.UNKNOWN
            subject_cert = None
        else:
            subject_cert = target.cert
            status = ocsp.OCSPCertStatus.REVOKED if target.serial in self.revoked else ocsp.OCSPCertStatus.GOOD
            cert = target.cert
        revoked_at = self.revoked.get(request.serial_number) if status == ocsp.OCSPCertStatus.REVOKED else None
        builder = ocsp.OCSPResponseBuilder()
        if subject_cert is not None:
            builder = builder.add_response(
                cert=cert,
                issuer=self.root,
                algorithm=hashes.SHA1(),  # noqa: S303  (CertID hash, as responders use)
                cert_status=status,
                this_update=now - timedelta(minutes=1),
                next_update=(now + next_update) if next_update is not None else None,
                revocation_time=revoked_at,
                revocation_reason=x509.ReasonFlags.unspecified if revoked_at else None,
            )
        else:
            # Unknown serial: answer "unknown" about the serial asked for.
            builder = builder.add_response_by_hash(
                issuer_name_hash=request.issuer_name_hash,
                issuer_key_hash=request.issuer_key_hash,
                serial_number=request.serial_number,
                algorithm=request.hash_algorithm,
                cert_status=ocsp.OCSPCertStatus.UNKNOWN,
                this_update=now - timedelta(minutes=1),
                next_update=(now + next_update) if next_update is not None else None,
                revocation_time=None,
                revocation_reason=None,
            )
        return builder

    # --- time stamps and validation data, as long-term (LTA) tools add them -------------------
    @property
    def timestamping(self) -> TestTSA:
        if self.tsa is None:
            self.tsa = TestTSA.generate()
        return self.tsa

    def timestamp_pdf(self, pdf: bytes, *, tsa: TestTSA | None = None, at: datetime | None = None) -> bytes:
        """``pdf`` followed by an RFC 3161 document timestamp (/DocTimeStamp) from the test TSA."""
        from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
        from pyhanko.sign import signers

        stamper = signers.PdfTimeStamper((tsa or self.timestamping).timestamper(at=at))
        out = stamper.timestamp_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False), "sha256")
        return out.getvalue()

    def add_validation_data(self, pdf: bytes) -> bytes:
        """``pdf`` followed by a DSS update only (the root certificate and a CRL), as LTA tools add."""
        from asn1crypto import crl as asn1_crl
        from asn1crypto import x509 as asn1_x509
        from pyhanko.pdf_utils.reader import PdfFileReader
        from pyhanko.sign.validation.dss import DocumentSecurityStore

        signature = PdfFileReader(io.BytesIO(pdf), strict=False).embedded_signatures[0]
        buf = io.BytesIO(pdf)
        DocumentSecurityStore.add_dss(
            buf,
            signature.pkcs7_content,
            certs=[asn1_x509.Certificate.load(self.root_der)],
            crls=[asn1_crl.CertificateList.load(self.crl())],
        )
        return buf.getvalue()

    # --- signing, as the real tools do -----------------------------------------------------
    def sign_pdf(
        self,
        pdf: bytes,
        persona: str,
        *,
        md: str = "sha256",
        field_name: str | None = None,
        tsa: TestTSA | None = None,
    ) -> bytes:
        """``tsa``: add a signature timestamp from that TSA (an unsigned attribute, as PAdES-T)."""
        from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
        from pyhanko.sign import signers

        signer = self._pyhanko_signer(persona)
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
        meta = signers.PdfSignatureMetadata(field_name=field_name or _next_field_name(writer), md_algorithm=md)
        timestamper = tsa.timestamper() if tsa is not None else None
        out = signers.sign_pdf(writer, meta, signer=signer, timestamper=timestamper, bytes_reserved=16384)
        return out.getvalue()

    def sign_cms(self, content: bytes, persona: str, *, md: str = "sha256", tsa: TestTSA | None = None) -> bytes:
        """A detached CMS SignedData (DER) over ``content``, signing-time and signer certificate
        included; ``tsa``: with a signature timestamp from that TSA (CAdES-T)."""
        from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes

        signer = self._pyhanko_signer(persona)
        attrs = PdfCMSSignedAttributes(signing_time=datetime.now(UTC))
        timestamper = tsa.timestamper() if tsa is not None else None
        info = asyncio.run(
            signer.async_sign_general_data(
                content, md, detached=True, signed_attr_settings=attrs, timestamper=timestamper
            )
        )
        return bytes(info.dump())

    def sign_xml(
        self,
        xml: bytes,
        persona: str,
        *,
        xades: bool = False,
        sha1: bool = False,
        reference_uri: str | None = None,
        tsa: TestTSA | None = None,
    ) -> bytes:
        """An enveloped XML signature (XMLDSig, or XAdES-BES with ``xades``) over the whole document;
        ``tsa`` (with ``xades``): XAdES-T, a SignatureTimeStamp from that TSA."""
        from lxml import etree
        from signxml import DigestAlgorithm, SignatureMethod, XMLSigner
        from signxml.xades import XAdESSigner

        p = self.personas[persona]
        root = etree.fromstring(xml, parser=etree.XMLParser(resolve_entities=False, no_network=True))
        kwargs: dict[str, Any] = {}
        if not isinstance(p.key, rsa.RSAPrivateKey):
            kwargs = {"signature_algorithm": SignatureMethod.ECDSA_SHA384}
        if sha1:
            kwargs = {"signature_algorithm": SignatureMethod.RSA_SHA1, "digest_algorithm": DigestAlgorithm.SHA1}
        signer_cls: Any = XAdESSigner if xades else XMLSigner
        if sha1:
            # Old signing tools still emit RSA-SHA1; signxml refuses to, so its check is skipped here.
            signer_cls = type("LegacySigner", (signer_cls,), {"check_deprecated_methods": lambda self: None})
        signer = signer_cls(**kwargs)
        sign_kwargs: dict[str, Any] = {"key": p.key, "cert": [p.cert]}
        if reference_uri is not None:
            sign_kwargs["reference_uri"] = reference_uri
        signed = signer.sign(root, **sign_kwargs)
        if tsa is not None:
            add_signature_timestamp(signed, tsa)
        return etree.tostring(signed, xml_declaration=True, encoding="UTF-8")

    def _pyhanko_signer(self, persona: str) -> Any:
        from asn1crypto import keys as asn1_keys
        from asn1crypto import x509 as asn1_x509
        from pyhanko.sign import signers
        from pyhanko_certvalidator.registry import SimpleCertificateStore

        p = self.personas[persona]
        key = asn1_keys.PrivateKeyInfo.load(
            p.key.private_bytes(
                serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        cert = asn1_x509.Certificate.load(p.cert_der)
        return signers.SimpleSigner(
            signing_cert=cert, signing_key=key, cert_registry=SimpleCertificateStore.from_certs([cert])
        )

    # --- persistence (the demo keeps its PKI under var/testpki/) ----------------------------
    def save(self, directory: str | os.PathLike[str]) -> None:
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        os.chmod(path, 0o700)
        state: dict[str, Any] = {
            "crl_number": self.crl_number,
            "revoked": {format(s, "X"): t.isoformat() for s, t in self.revoked.items()},
            "personas": list(self.personas),
        }
        files: dict[str, bytes] = {
            "root.pem": self.root.public_bytes(serialization.Encoding.PEM),
            "root.key": _key_pem(self.root_key),
            "lookalike.pem": self.lookalike.public_bytes(serialization.Encoding.PEM),
            "lookalike.key": _key_pem(self.lookalike_key),
            "ocsp.pem": self.ocsp_cert.public_bytes(serialization.Encoding.PEM),
            "ocsp.key": _key_pem(self.ocsp_key),
        }
        tsa = self.timestamping
        files.update(
            {
                "tsa-root.pem": tsa.root.public_bytes(serialization.Encoding.PEM),
                "tsa-root.key": _key_pem(tsa.root_key),
                "tsa.pem": tsa.cert.public_bytes(serialization.Encoding.PEM),
                "tsa.key": _key_pem(tsa.key),
            }
        )
        for name, p in self.personas.items():
            files[f"{name}.pem"] = p.cert.public_bytes(serialization.Encoding.PEM)
            files[f"{name}.key"] = _key_pem(p.key)
        for name, data in files.items():
            target = path / name
            target.write_bytes(data)
            if name.endswith(".key"):
                os.chmod(target, 0o600)
        (path / "state.json").write_text(json.dumps(state, indent=2))

    @classmethod
    def load(cls, directory: str | os.PathLike[str]) -> TestPKI:
        path = Path(directory)

        def cert(name: str) -> x509.Certificate:
            return x509.load_pem_x509_certificate((path / f"{name}.pem").read_bytes())

        def key(name: str) -> rsa.RSAPrivateKey:
            k = serialization.load_pem_private_key((path / f"{name}.key").read_bytes(), password=None)
            assert isinstance(k, rsa.RSAPrivateKey)  # noqa: S101  (our own files)
            return k

        state = json.loads((path / "state.json").read_text())
        pki = cls(key("root"), cert("root"), key("lookalike"), cert("lookalike"), key("ocsp"), cert("ocsp"), {})
        specs = {s.key: s for s in PERSONAS}
        for name in state["personas"]:
            c = cert(name)
            spec = specs.get(name) or PersonaSpec(name, name)
            issuer = pki.lookalike if c.issuer == pki.root.subject and spec.untrusted else pki.root
            pki.personas[name] = Persona(spec, key(name), c, issuer)
        pki.revoked = {int(s, 16): datetime.fromisoformat(t) for s, t in state["revoked"].items()}
        pki.crl_number = state["crl_number"]
        if (path / "tsa.pem").exists():  # a PKI saved before the TSA existed gets one on first use
            pki.tsa = TestTSA(key("tsa-root"), cert("tsa-root"), key("tsa"), cert("tsa"))
        return pki

    @classmethod
    def exists(cls, directory: str | os.PathLike[str]) -> bool:
        return (Path(directory) / "state.json").exists()


XADES_NS = "http://uri.etsi.org/01903/v1.3.2#"
DSIG_NS = "http://www.w3.org/2000/09/xmldsig#"
C14N = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"


def add_signature_timestamp(
    root: Any, tsa: TestTSA, *, at: datetime | None = None, imprint_of: bytes | None = None
) -> None:
    """Make a XAdES signature XAdES-T in place: an unsigned SignatureTimeStamp over the canonical
    ds:SignatureValue element (``imprint_of``: time-stamp other bytes instead, to break it)."""
    from lxml import etree

    signature = root.find(f".//{{{DSIG_NS}}}Signature")
    value = signature.find(f"{{{DSIG_NS}}}SignatureValue")
    properties = signature.find(f".//{{{XADES_NS}}}QualifyingProperties")
    unsigned = properties.find(f"{{{XADES_NS}}}UnsignedProperties")
    if unsigned is None:
        unsigned = etree.SubElement(properties, f"{{{XADES_NS}}}UnsignedProperties")
    props = unsigned.find(f"{{{XADES_NS}}}UnsignedSignatureProperties")
    if props is None:
        props = etree.SubElement(unsigned, f"{{{XADES_NS}}}UnsignedSignatureProperties")
    stamp = etree.SubElement(props, f"{{{XADES_NS}}}SignatureTimeStamp", Id=f"ts-{len(props)}")
    etree.SubElement(stamp, f"{{{DSIG_NS}}}CanonicalizationMethod", Algorithm=C14N)
    token = tsa.token(imprint_of if imprint_of is not None else etree.tostring(value, method="c14n"), at=at)
    etree.SubElement(stamp, f"{{{XADES_NS}}}EncapsulatedTimeStamp").text = base64.b64encode(token).decode()


def _next_field_name(writer: Any) -> str:
    try:
        fields = writer.root["/AcroForm"]["/Fields"]
        return f"Signature{len(fields) + 1}"
    except KeyError:
        return "Signature1"


# --- a one-page delegation-like PDF with the XML embedded ----------------------------------
SAMPLE_XML = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<Delegation xmlns="urn:mynatrust:delegation:test:1">'
    "<Principal>株式会社テスト</Principal><Representative>代表\u3000太郎</Representative>"
    "<Agent>受任\u3000花子</Agent><Powers>契約の締結に関する一切の権限</Powers>"
    "<ValidFrom>2026-12-01</ValidFrom><ValidUntil>2027-11-30</ValidUntil>"
    "</Delegation>"
).encode()


def make_pdf(xml: bytes | None = SAMPLE_XML, *, title: str = "電子委任状（テスト）") -> bytes:
    """A one-page PDF (reportlab) carrying ``xml`` as an embedded file named delegation.xml."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    if "HeiseiKakuGo-W5" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont("HeiseiKakuGo-W5"))
    c = canvas.Canvas(buf, pagesize=A4, invariant=True)
    c.setFont("HeiseiKakuGo-W5", 16)
    c.drawString(72, 770, title)
    c.setFont("HeiseiKakuGo-W5", 10)
    c.drawString(72, 740, "このPDFはテスト用です。本物の電子委任状ではありません。")
    c.showPage()
    c.save()
    pdf = buf.getvalue()
    if xml is None:
        return pdf
    return embed_xml(pdf, xml)


def embed_xml(pdf: bytes, xml: bytes, name: str = "delegation.xml") -> bytes:
    from pyhanko.pdf_utils import embed
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    ef = embed.EmbeddedFileObject.from_file_data(writer, data=xml, mime_type="application/xml")
    embed.embed_file(writer, embed.FileSpec(file_spec_string=name, file_name=name, embedded_data=ef))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# --- minimal DER helpers for the big CRL -----------------------------------------------------
def _tlv(tag: int, body: bytes) -> bytes:
    n = len(body)
    if n < 0x80:
        return bytes([tag, n]) + body
    length = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(length)]) + length + body


def _der_int(value: int) -> bytes:
    body = value.to_bytes(value.bit_length() // 8 + 1, "big", signed=False)
    return _tlv(0x02, body)


def _der_oid(dotted: str) -> bytes:
    parts = [int(x) for x in dotted.split(".")]
    body = bytearray([40 * parts[0] + parts[1]])
    for part in parts[2:]:
        chunk = [part & 0x7F]
        part >>= 7
        while part:
            chunk.append(0x80 | (part & 0x7F))
            part >>= 7
        body.extend(reversed(chunk))
    return _tlv(0x06, bytes(body))


def _der_time(when: datetime) -> bytes:
    return _tlv(0x17, when.astimezone(UTC).strftime("%y%m%d%H%M%SZ").encode())


# --- local HTTP servers (OCSP responder, platform-provider API) for tests and the demo -------
@contextmanager
def serve_ocsp(pki: TestPKI, *, port: int = 0, **respond: Any) -> Iterator[str]:
    """Serve ``pki.ocsp_respond`` over HTTP on 127.0.0.1; yields the URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            answer = pki.ocsp_respond(body, **respond)
            self.send_response(200)
            self.send_header("Content-Type", "application/ocsp-response")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    with _serve(Handler, port) as url:
        yield url


PROVIDER_PATH = "/v1/certificate-status"


@contextmanager
def serve_provider(pki: TestPKI, token: str, **respond: Any) -> Iterator[str]:
    """A platform provider's status API: POST JSON {"ocsp_request": base64}, Bearer token; the answer
    relays the CA's OCSP response so the service checks the CA's signature, not the provider's word."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            if self.path != PROVIDER_PATH:
                self._json(404, {"error": "not_found"})
                return
            if self.headers.get("Authorization") != f"Bearer {token}":
                self._json(401, {"error": "unauthorized"})
                return
            try:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
                request = base64.b64decode(body["ocsp_request"], validate=True)
            except (ValueError, KeyError, TypeError):
                self._json(400, {"error": "bad_request"})
                return
            answer = pki.ocsp_respond(request, **respond)
            self._json(200, {"status": "ok", "ocsp_response": base64.b64encode(answer).decode()})

        def _json(self, status: int, data: dict[str, Any]) -> None:
            raw = json.dumps(data).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    with _serve(Handler) as url:
        yield url


@contextmanager
def _serve(handler: type[BaseHTTPRequestHandler], port: int = 0) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest().upper()
