"""The JPKI signing-certificate profile (docs/architecture.md §4): a certificate in, a typed value out.

The basic-4 information sits in subjectAltName otherName entries whose values are
``[0] EXPLICIT UTF8String``. ``cryptography`` hands back the inner value's complete DER
(tag, length, content), so the length is decoded here properly: an address may need a
long-form length.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

# Basic-4 otherName OIDs (docs/architecture.md §4; several public parsers mislabel them).
OID_NAME = "1.2.392.200149.8.5.5.1"
OID_NAME_SUBSTITUTES = "1.2.392.200149.8.5.5.2"
OID_GENDER = "1.2.392.200149.8.5.5.3"
OID_BIRTH_DATE = "1.2.392.200149.8.5.5.4"
OID_ADDRESS = "1.2.392.200149.8.5.5.5"
OID_ADDRESS_SUBSTITUTES = "1.2.392.200149.8.5.5.6"
BASIC4_OIDS = {
    OID_NAME: "name",
    OID_NAME_SUBSTITUTES: "name_substitutes",
    OID_GENDER: "gender",
    OID_BIRTH_DATE: "birth_date",
    OID_ADDRESS: "address",
    OID_ADDRESS_SUBSTITUTES: "address_substitutes",
}

# Production signing-certificate policy (JPKI marks certificatePolicies critical).
JPKI_SIGNING_POLICY_OID = "1.2.392.200149.8.5.1.1.20"

JPKI_ORGANIZATION = "JPKI"
JPKI_SIGN_OU = "JPKI for digital signature"
JPKI_AUTH_OU = "JPKI for user authentication"
JLIS_OU = "Japan Agency for Local Authority Information Systems"
JPKI_SIGN_ISSUER = x509.Name(
    [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, JPKI_ORGANIZATION),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, JPKI_SIGN_OU),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, JLIS_OU),
    ]
)

GENDERS = {"1": "male", "2": "female", "3": "unknown"}
MAX_ADDRESS_CHARS = 200


class JPKIProfileError(ValueError):
    """The certificate is not a well-formed JPKI signing certificate. ``code`` is stable."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class BirthDate:
    era_code: int  # 0–5 as written in the certificate
    raw: str  # the YYYYMMDD part exactly as written (may be partial: zeros for unknown parts)
    year: int | None
    month: int | None
    day: int | None

    @property
    def value(self) -> date | None:
        if self.year and self.month and self.day:
            try:
                return date(self.year, self.month, self.day)
            except ValueError:
                return None
        return None

    def to_dict(self) -> dict[str, Any]:
        value = self.value
        return {
            "era_code": self.era_code,
            "raw": self.raw,
            "year": self.year,
            "month": self.month,
            "day": self.day,
            "date": value.isoformat() if value else None,
        }


@dataclass(frozen=True)
class JPKICertificate:
    kind: str  # "signing" | "authentication" | "other"
    subject: str
    issuer: str
    serial: int
    not_before: datetime
    not_after: datetime
    sha256: str  # upper-case hex fingerprint of the DER
    key_usage: tuple[str, ...]
    policy_oids: tuple[str, ...]
    key_bits: int | None
    signature_hash: str | None
    name: str | None = None
    name_substitutes: tuple[int, ...] = ()  # 0-based positions flagged as substitute characters
    address: str | None = None
    address_substitutes: tuple[int, ...] = ()
    birth_date: BirthDate | None = None
    gender: str | None = None  # male | female | unknown
    warnings: tuple[str, ...] = field(default=())

    @property
    def is_signing(self) -> bool:
        return self.kind == "signing"

    @property
    def family_name(self) -> str | None:
        return self.name.split("\u3000", 1)[0] if self.name else None

    @property
    def given_name(self) -> str | None:
        if not self.name or "\u3000" not in self.name:
            return None
        return self.name.split("\u3000", 1)[1]

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "subject": self.subject,
            "issuer": self.issuer,
            "serial": format(self.serial, "X"),
            "not_before": self.not_before.isoformat(),
            "not_after": self.not_after.isoformat(),
            "sha256": self.sha256,
            "key_usage": list(self.key_usage),
            "policy_oids": list(self.policy_oids),
            "key_bits": self.key_bits,
            "signature_hash": self.signature_hash,
            "name": self.name,
            "name_substitutes": list(self.name_substitutes),
            "address": self.address,
            "address_substitutes": list(self.address_substitutes),
            "birth_date": self.birth_date.to_dict() if self.birth_date else None,
            "gender": self.gender,
        }


def decode_der_utf8string(der: bytes) -> str:
    """Decode one DER UTF8String (tag 0x0C), long-form lengths included; reject trailing bytes."""
    if len(der) < 2 or der[0] != 0x0C:
        raise JPKIProfileError("bad_other_name", "otherName value is not a UTF8String")
    first = der[1]
    if first < 0x80:
        length, offset = first, 2
    else:
        count = first & 0x7F
        if count == 0 or count > 4 or len(der) < 2 + count:
            raise JPKIProfileError("bad_other_name", "invalid DER length in otherName value")
        length = int.from_bytes(der[2 : 2 + count], "big")
        if length < 0x80 or der[2] == 0:
            raise JPKIProfileError("bad_other_name", "non-minimal DER length in otherName value")
        offset = 2 + count
    if offset + length != len(der):
        raise JPKIProfileError("bad_other_name", "otherName value length does not match its content")
    try:
        return der[offset:].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise JPKIProfileError("bad_other_name", "otherName value is not valid UTF-8") from exc


def encode_der_utf8string(text: str) -> bytes:
    """The inner value ``cryptography`` expects for an otherName (it adds the [0] EXPLICIT wrapper)."""
    body = text.encode("utf-8")
    n = len(body)
    if n < 0x80:
        return bytes([0x0C, n]) + body
    length = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x0C, 0x80 | len(length)]) + length + body


def _flags(value: str, what: str) -> tuple[int, ...]:
    if any(ch not in "01" for ch in value):
        raise JPKIProfileError("bad_substitute_flags", f"{what} substitute flags must be 0/1 characters")
    return tuple(i for i, ch in enumerate(value) if ch == "1")


def parse_birth_date(value: str) -> BirthDate:
    if len(value) != 9 or not value.isdigit() or value[0] not in "012345":
        raise JPKIProfileError("bad_birth_date", "date of birth must be EYYYYMMDD with era code 0–5")
    year, month, day = int(value[1:5]), int(value[5:7]), int(value[7:9])
    if month > 12 or day > 31:
        raise JPKIProfileError("bad_birth_date", "date of birth has an impossible month or day")
    return BirthDate(int(value[0]), value[1:], year or None, month or None, day or None)


def load_certificate(data: bytes | x509.Certificate) -> x509.Certificate:
    if isinstance(data, x509.Certificate):
        return data
    try:
        if data.lstrip().startswith(b"-----BEGIN"):
            return x509.load_pem_x509_certificate(data)
        return x509.load_der_x509_certificate(data)
    except ValueError as exc:
        raise JPKIProfileError("not_a_certificate", "the data is not an X.509 certificate") from exc


def fingerprint(cert: x509.Certificate) -> str:
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest().upper()


def _key_usage(cert: x509.Certificate) -> tuple[str, ...]:
    try:
        ku = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return ()
    names = [
        "digital_signature",
        "content_commitment",
        "key_encipherment",
        "data_encipherment",
        "key_agreement",
        "key_cert_sign",
        "crl_sign",
    ]
    used = [n for n in names if getattr(ku, n)]
    if ku.key_agreement:
        used += [n for n in ("encipher_only", "decipher_only") if getattr(ku, n)]
    # RFC 5280 calls content_commitment nonRepudiation; JPKI documents do too.
    return tuple("non_repudiation" if n == "content_commitment" else n for n in used)


def _policies(cert: x509.Certificate) -> tuple[str, ...]:
    try:
        pols = cert.extensions.get_extension_for_class(x509.CertificatePolicies).value
    except x509.ExtensionNotFound:
        return ()
    return tuple(p.policy_identifier.dotted_string for p in pols)


def _other_names(cert: x509.Certificate) -> dict[str, str]:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return {}
    found: dict[str, str] = {}
    for other in san.get_values_for_type(x509.OtherName):
        oid = other.type_id.dotted_string
        if oid in BASIC4_OIDS:
            if oid in found:
                raise JPKIProfileError("duplicate_basic4", f"{BASIC4_OIDS[oid]} appears twice in subjectAltName")
            found[oid] = decode_der_utf8string(other.value)
    return found


@functools.lru_cache(maxsize=32)
def _issuer_facts(issuer: x509.Name) -> tuple[str, tuple[str, ...]]:
    """An issuer name as text and its OUs. Issuers are a handful of CA names, so each is rendered
    once per process (rendering a name costs more than the rest of the profile check)."""
    ous = tuple(str(a.value) for a in issuer.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME))
    return issuer.rfc4514_string(), ous


def parse_certificate(data: bytes | x509.Certificate, *, der: bytes | None = None) -> JPKICertificate:
    """Parse any certificate; ``kind`` tells a JPKI signing certificate from the rest.

    Raises JPKIProfileError only for data that is not a certificate or carries malformed basic-4
    values; use ``require_signing_certificate`` to insist on the signing profile. ``der``: the
    certificate's DER when the caller holds it (spares re-encoding it for the fingerprint).
    """
    cert = load_certificate(data)
    try:
        extensions = cert.extensions
    except ValueError as exc:
        raise JPKIProfileError("bad_extensions", "the certificate has malformed extensions") from exc
    del extensions
    values = _other_names(cert)
    key = cert.public_key()
    key_bits = key.key_size if isinstance(key, rsa.RSAPublicKey) else None
    sig_hash = cert.signature_hash_algorithm.name if cert.signature_hash_algorithm else None
    key_usage = _key_usage(cert)
    issuer_text, issuer_ous = _issuer_facts(cert.issuer)
    birth = parse_birth_date(values[OID_BIRTH_DATE]) if OID_BIRTH_DATE in values else None
    gender = None
    if OID_GENDER in values:
        gender = GENDERS.get(values[OID_GENDER])
        if gender is None:
            raise JPKIProfileError("bad_gender", "gender must be 1, 2 or 3")
    name = values.get(OID_NAME)
    address = values.get(OID_ADDRESS)
    name_subs = _flags(values.get(OID_NAME_SUBSTITUTES, ""), "name")
    address_subs = _flags(values.get(OID_ADDRESS_SUBSTITUTES, ""), "address")
    has_basic4 = name is not None and address is not None and birth is not None and gender is not None
    kind = _kind(has_basic4=has_basic4, key_usage=key_usage, issuer_ous=issuer_ous)
    return JPKICertificate(
        kind=kind,
        subject=cert.subject.rfc4514_string(),
        issuer=issuer_text,
        serial=cert.serial_number,
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        sha256=hashlib.sha256(der).hexdigest().upper() if der is not None else fingerprint(cert),
        key_usage=key_usage,
        policy_oids=_policies(cert),
        key_bits=key_bits,
        signature_hash=sig_hash,
        name=name,
        name_substitutes=name_subs,
        address=address,
        address_substitutes=address_subs,
        birth_date=birth,
        gender=gender,
        warnings=_warnings(values),
    )


def _kind(*, has_basic4: bool, key_usage: tuple[str, ...], issuer_ous: tuple[str, ...]) -> str:
    """signing (basic four items and non-repudiation), authentication, or other."""
    if has_basic4 and {"digital_signature", "non_repudiation"} <= set(key_usage):
        return "signing"
    if JPKI_AUTH_OU in issuer_ous or (key_usage and "non_repudiation" not in key_usage and not has_basic4):
        return "authentication"
    return "other"


def _warnings(values: dict[str, str]) -> tuple[str, ...]:
    """What the profile tolerates but notes: a long address, flags of another length than their text."""
    name = values.get(OID_NAME)
    address = values.get(OID_ADDRESS)
    warnings: list[str] = []
    if address is not None and len(address) > MAX_ADDRESS_CHARS:
        warnings.append("address_longer_than_200")
    if name is not None and OID_NAME_SUBSTITUTES in values and len(values[OID_NAME_SUBSTITUTES]) != len(name):
        warnings.append("name_substitute_flags_length")
    if (
        address is not None
        and OID_ADDRESS_SUBSTITUTES in values
        and len(values[OID_ADDRESS_SUBSTITUTES]) != len(address)
    ):
        warnings.append("address_substitute_flags_length")
    return tuple(warnings)


def require_signing_certificate(data: bytes | x509.Certificate) -> JPKICertificate:
    """Parse and insist on the JPKI signing profile; the error says what is missing."""
    parsed = parse_certificate(data)
    if parsed.kind == "authentication":
        raise JPKIProfileError("authentication_certificate", "this is a JPKI user-authentication certificate")
    if parsed.kind != "signing":
        raise JPKIProfileError(
            "not_signing_certificate", "the certificate lacks the basic-4 information or the signing key usage"
        )
    if parsed.key_bits is None or parsed.key_bits < 2048:
        raise JPKIProfileError("weak_key", "the signing key is not RSA-2048 or stronger")
    if parsed.signature_hash not in ("sha256", "sha384", "sha512"):
        raise JPKIProfileError("weak_signature_algorithm", "the certificate is not signed with SHA-2")
    return parsed


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest().upper()


__all__ = [
    "BASIC4_OIDS",
    "JPKI_SIGNING_POLICY_OID",
    "JPKI_SIGN_ISSUER",
    "BirthDate",
    "JPKICertificate",
    "JPKIProfileError",
    "decode_der_utf8string",
    "encode_der_utf8string",
    "fingerprint",
    "load_certificate",
    "parse_birth_date",
    "parse_certificate",
    "require_signing_certificate",
    "sha256_hex",
]
