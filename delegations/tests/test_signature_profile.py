"""The JPKI certificate profile parser, checked against certificates built here with `cryptography`
alone, with the OIDs written out literally (docs/architecture.md §4), not taken from the module under test."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID, ObjectIdentifier

from delegations.signatures.profile import (
    JPKIProfileError,
    decode_der_utf8string,
    encode_der_utf8string,
    parse_birth_date,
    parse_certificate,
    require_signing_certificate,
)

_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
ADDRESS_210_BYTES = "東" * 70  # 210 UTF-8 bytes: needs a long-form DER length


def utf8string(text: str) -> bytes:
    """DER UTF8String written by hand (tag 0x0C, length, bytes)."""
    body = text.encode()
    if len(body) < 128:
        return bytes([0x0C, len(body)]) + body
    if len(body) < 256:
        return bytes([0x0C, 0x81, len(body)]) + body
    return bytes([0x0C, 0x82]) + len(body).to_bytes(2, "big") + body


def build(
    others: dict[str, str] | None = None,
    *,
    key_usage: tuple[bool, bool] = (True, True),
    issuer_ou: str = "JPKI for digital signature",
) -> x509.Certificate:
    issuer = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "JPKI"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, issuer_ou),
            x509.NameAttribute(
                NameOID.ORGANIZATIONAL_UNIT_NAME, "Japan Agency for Local Authority Information Systems"
            ),
        ]
    )
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "0123ABCD")]))
        .issuer_name(issuer)
        .public_key(_KEY.public_key())
        .serial_number(12345)
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .add_extension(
            x509.KeyUsage(key_usage[0], key_usage[1], False, False, False, False, False, False, False), critical=True
        )
    )
    if others:
        builder = builder.add_extension(
            x509.SubjectAlternativeName(
                [x509.OtherName(ObjectIdentifier(oid), utf8string(value)) for oid, value in others.items()]
            ),
            critical=False,
        )
    return builder.sign(_KEY, hashes.SHA256())


BASIC4 = {
    "1.2.392.200149.8.5.5.1": "山田\u3000花子",  # name
    "1.2.392.200149.8.5.5.2": "01000",  # name substitute flags
    "1.2.392.200149.8.5.5.3": "2",  # gender: female
    "1.2.392.200149.8.5.5.4": "419900229",  # era code 4, 1990-02-29 does not exist: kept raw
    "1.2.392.200149.8.5.5.5": ADDRESS_210_BYTES,  # address
    "1.2.392.200149.8.5.5.6": "1" + "0" * 69,  # address substitute flags
}


def test_it_maps_every_basic4_oid_to_the_right_field() -> None:
    parsed = parse_certificate(build(BASIC4))
    assert parsed.kind == "signing"
    assert parsed.name == "山田\u3000花子"
    assert parsed.family_name == "山田"
    assert parsed.given_name == "花子"
    assert parsed.name_substitutes == (1,)
    assert parsed.gender == "female"
    assert parsed.birth_date is not None
    assert parsed.birth_date.era_code == 4
    assert parsed.birth_date.raw == "19900229"
    assert parsed.birth_date.value is None  # impossible date: no value, raw kept
    assert parsed.address == ADDRESS_210_BYTES
    assert parsed.address_substitutes == (0,)
    assert parsed.serial == 12345
    assert parsed.key_usage == ("digital_signature", "non_repudiation")


def test_it_reads_an_address_whose_der_length_is_long_form() -> None:
    # 70 kanji = 210 bytes: DER length 0x81 0xD2.
    assert utf8string(ADDRESS_210_BYTES)[:3] == b"\x0c\x81\xd2"
    assert parse_certificate(build(BASIC4)).address == ADDRESS_210_BYTES


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("bad", "not a UTF8String"),
        ("0c05616263", "length does not match"),  # claims 5 bytes, carries 3
        ("0c8103616263", "non-minimal"),  # long form used for a short length
        ("1305616263646566", "not a UTF8String"),  # PrintableString tag
        ("0c02c328", "not valid UTF-8"),
    ],
)
def test_it_rejects_malformed_other_name_values(raw: str, expected: str) -> None:
    data = raw.encode() if raw == "bad" else bytes.fromhex(raw)
    with pytest.raises(JPKIProfileError, match=expected):
        decode_der_utf8string(data)


@pytest.mark.parametrize("text", ["", "a", "東" * 42, "東" * 43, "東" * 200, "x" * 70000])
def test_encoding_and_decoding_round_trip(text: str) -> None:
    assert decode_der_utf8string(encode_der_utf8string(text)) == text


@pytest.mark.parametrize(
    ("value", "year", "month", "day"),
    [
        ("419800401", 1980, 4, 1),
        ("319550000", 1955, None, None),  # month and day unknown
        ("019000100", 1900, 1, None),  # era code 0, day unknown
    ],
)
def test_it_parses_full_and_partial_birth_dates(value: str, year: int, month: int | None, day: int | None) -> None:
    parsed = parse_birth_date(value)
    assert (parsed.year, parsed.month, parsed.day) == (year, month, day)


@pytest.mark.parametrize("value", ["19800401", "619800401", "41980130X", "419801301", "419800132"])
def test_it_rejects_malformed_birth_dates(value: str) -> None:
    with pytest.raises(JPKIProfileError):
        parse_birth_date(value)


def test_it_tells_an_authentication_certificate_from_a_signing_one() -> None:
    cert = build(None, key_usage=(True, False), issuer_ou="JPKI for user authentication")
    assert parse_certificate(cert).kind == "authentication"
    with pytest.raises(JPKIProfileError) as excinfo:
        require_signing_certificate(cert)
    assert excinfo.value.code == "authentication_certificate"


def test_it_refuses_a_certificate_without_non_repudiation_as_a_signing_certificate() -> None:
    parsed = parse_certificate(build(BASIC4, key_usage=(True, False)))
    assert parsed.kind != "signing"


def test_it_says_clearly_when_the_data_is_not_a_certificate() -> None:
    with pytest.raises(JPKIProfileError) as excinfo:
        parse_certificate(b"not a certificate")
    assert excinfo.value.code == "not_a_certificate"


def test_it_rejects_a_gender_outside_the_three_codes() -> None:
    with pytest.raises(JPKIProfileError) as excinfo:
        parse_certificate(build({**BASIC4, "1.2.392.200149.8.5.5.3": "9"}))
    assert excinfo.value.code == "bad_gender"


def test_test_pki_personas_carry_the_real_profile(test_pki) -> None:
    rep = require_signing_certificate(test_pki["representative"].cert)
    assert rep.issuer == (
        "OU=Japan Agency for Local Authority Information Systems,OU=JPKI for digital signature,O=JPKI,C=JP"
    )
    assert rep.policy_oids == ("1.2.392.200149.8.5.1.1.20",)
    assert rep.key_bits == 2048
    sub = parse_certificate(test_pki["substitute"].cert)
    assert sub.name_substitutes == (0,)
    assert len(sub.address or "") > 43  # more than 127 bytes
    cdp = test_pki["representative"].cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    assert isinstance(cdp[0].full_name[0], x509.DirectoryName)  # JPKI: a directory name, not a URL
    assert parse_certificate(test_pki["authentication"].cert).kind == "authentication"
    assert test_pki["untrusted"].cert.issuer == test_pki.root.subject  # identical name, other key
