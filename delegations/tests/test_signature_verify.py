"""Verifiers: every persona × every container, then every bad input, with real signatures."""

from __future__ import annotations

import base64
import io
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from lxml import etree

from delegations.signatures.report import MESSAGES, Indication, SignatureReport, SubIndication
from delegations.signatures.revocation import CRLSource
from delegations.signatures.testpki import SAMPLE_XML, make_pdf
from delegations.signatures.verify import VerificationPolicy, verify, verify_cms, verify_pades, verify_xml
from delegations.tests.conftest import CONTAINERS

F, IND = Indication.TOTAL_FAILED, Indication.INDETERMINATE
S = SubIndication

PERSONA_OUTCOMES = {
    "representative": (Indication.TOTAL_PASSED, None),
    "agent": (Indication.TOTAL_PASSED, None),
    "substitute": (Indication.TOTAL_PASSED, None),
    "expired": (F, S.EXPIRED),
    "revoked": (F, S.REVOKED),
    "authentication": (IND, S.SIG_CONSTRAINTS_FAILURE),
    "untrusted": (IND, S.NO_CERTIFICATE_CHAIN_FOUND),
    "rsa1024": (IND, S.CRYPTO_CONSTRAINTS_FAILURE),
    "sha1": (IND, S.CRYPTO_CONSTRAINTS_FAILURE),
    "unknown_critical": (IND, S.CERTIFICATE_CHAIN_GENERAL_FAILURE),
}


@pytest.mark.parametrize("container", CONTAINERS)
@pytest.mark.parametrize("persona", list(PERSONA_OUTCOMES))
def test_each_persona_gets_the_same_verdict_in_every_container(
    persona, container, sign, policy, verify_container
) -> None:
    report = verify_container(container, sign(persona, container), policy)
    assert (report.indication, report.sub_indication) == PERSONA_OUTCOMES[persona], report.detail
    assert report.container == container
    json.dumps(report.to_dict())  # always storable


@pytest.mark.parametrize("container", CONTAINERS)
def test_a_passed_report_carries_signer_chain_revocation_and_content_digest(container, sign, policy, verify_container):
    report = verify_container(container, sign("representative", container), policy)
    assert report.passed
    assert report.signer is not None
    assert report.signer["name"] == "代表\u3000太郎"
    assert report.signer["address"] == "東京都千代田区霞が関二丁目1番2号"
    assert report.signer["gender"] == "male"
    assert [c.subject for c in report.chain][1].startswith("OU=Japan Agency")
    assert report.revocation is not None
    assert report.revocation["status"] == "good"
    assert report.revocation["evidence"]["crl_number"] >= 1
    assert report.signed_content is not None
    assert report.signed_content_sha256 is not None
    if container in ("pades", "cms"):
        assert report.signed_content == SAMPLE_XML  # the embedded / detached XML, byte for byte
        assert report.signing_time is not None
    else:
        root = etree.fromstring(report.signed_content)
        assert root.find("{*}Signature") is None  # the signed document, signature removed
        assert root.findtext("{*}Powers") == "契約の締結に関する一切の権限"


def test_the_report_round_trips_through_json(sign, policy) -> None:
    report = verify_pades(sign("representative", "pades"), policy)
    again = SignatureReport.from_dict(json.loads(report.to_json()))
    assert again.to_dict() == report.to_dict()


def test_every_sub_indication_has_one_japanese_message() -> None:
    assert set(MESSAGES) == set(SubIndication)
    for message in MESSAGES.values():
        assert re.search(r"[ぁ-んァ-ン一-龥]", str(message))


# --- bad input -------------------------------------------------------------------------------------
def _replace_once(data: bytes, old: bytes, new: bytes) -> bytes:
    assert old in data
    return data.replace(old, new, 1)


def _pdf_incremental_update(signed: bytes) -> bytes:
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(signed))
    writer.root["/Lang"] = generic.TextStringObject("en")
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _pdf_other_byte_range(signed: bytes) -> bytes:
    match = re.search(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", signed)
    assert match
    a, b, c, d = (int(x) for x in match.groups())
    new = f"/ByteRange [{a} {b} {c} {d - 100}]".encode().ljust(len(match.group(0)))
    return signed.replace(match.group(0), new)


def _pdf_tampered(signed: bytes) -> bytes:
    i = signed.find(b"stream", 200) + 20
    return signed[:i] + bytes([signed[i] ^ 1]) + signed[i + 1 :]


def _xml_wrapped(signed: bytes) -> bytes:
    # Classic wrapping: the attacker edits the document and hides the original inside ds:Object.
    root = etree.fromstring(signed)
    original = etree.fromstring(signed)
    sig = root.find("{http://www.w3.org/2000/09/xmldsig#}Signature")
    obj = etree.SubElement(sig, "{http://www.w3.org/2000/09/xmldsig#}Object")
    obj.append(original.find("{*}Powers"))
    root.find("{*}Powers").text = "不動産の売却に関する一切の権限"
    return etree.tostring(root)


def _xml_signature_moved_down(signed: bytes) -> bytes:
    root = etree.fromstring(signed)
    sig = root.find("{http://www.w3.org/2000/09/xmldsig#}Signature")
    root.find("{*}Agent").append(sig)
    return etree.tostring(root)


def _xml_signature_value_flipped(signed: bytes) -> bytes:
    match = re.search(rb"<ds:SignatureValue>([^<]+)<", signed)
    assert match
    raw = bytearray(base64.b64decode(match.group(1)))
    raw[10] ^= 1
    return signed.replace(match.group(1), base64.b64encode(bytes(raw)))


XPATH = (
    b'<ds:Transform Algorithm="http://www.w3.org/TR/1999/REC-xpath-19991116">'
    b"<ds:XPath>not(ancestor-or-self::*[local-name()='Powers'])</ds:XPath></ds:Transform>"
)


def _xml_with_xpath_transform(signed: bytes) -> bytes:
    return _replace_once(signed, b"<ds:Transforms>", b"<ds:Transforms>" + XPATH)


XXE = b'<!DOCTYPE Delegation [<!ENTITY e SYSTEM "file:///etc/passwd">]><Delegation'
LAUGHS = b'<!DOCTYPE Delegation [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><Delegation'

# (case id, containers, build(signed bytes, test_pki) -> bytes, expected indication, sub-indication)
BAD_INPUTS = [
    ("garbage", CONTAINERS, lambda s, pki: b"\x00\xffgarbage" * 50, F, S.FORMAT_FAILURE),
    ("empty", CONTAINERS, lambda s, pki: b"", F, S.FORMAT_FAILURE),
    ("truncated", CONTAINERS, lambda s, pki: s[: len(s) // 2], F, S.FORMAT_FAILURE),
    ("pdf_without_signature", ("pades",), lambda s, pki: make_pdf(), IND, S.SIGNED_DATA_NOT_FOUND),
    ("pdf_with_two_signatures", ("pades",), lambda s, pki: pki.sign_pdf(s, "agent"), F, S.FORMAT_FAILURE),
    ("pdf_signature_over_another_byte_range", ("pades",), lambda s, pki: _pdf_other_byte_range(s), F, S.HASH_FAILURE),
    (
        "pdf_incremental_update_after_signing",
        ("pades",),
        lambda s, pki: _pdf_incremental_update(s),
        F,
        S.FORMAT_FAILURE,
    ),
    ("pdf_junk_after_eof", ("pades",), lambda s, pki: s + b"\n%junk\n", F, S.FORMAT_FAILURE),
    ("pdf_content_tampered", ("pades",), lambda s, pki: _pdf_tampered(s), F, S.HASH_FAILURE),
    (
        "pdf_sha1_signature",
        ("pades",),
        lambda s, pki: pki.sign_pdf(make_pdf(), "representative", md="sha1"),
        IND,
        S.CRYPTO_CONSTRAINTS_FAILURE,
    ),
    (
        "xml_with_external_entity",
        ("xmldsig", "xades"),
        lambda s, pki: _replace_once(s, b"<Delegation", XXE),
        F,
        S.FORMAT_FAILURE,
    ),
    (
        "xml_billion_laughs",
        ("xmldsig", "xades"),
        lambda s, pki: _replace_once(s, b"<Delegation", LAUGHS),
        F,
        S.FORMAT_FAILURE,
    ),
    ("xml_wrapping_attack", ("xmldsig", "xades"), lambda s, pki: _xml_wrapped(s), F, S.HASH_FAILURE),
    (
        "xml_signature_not_enveloped",
        ("xmldsig", "xades"),
        lambda s, pki: _xml_signature_moved_down(s),
        F,
        S.FORMAT_FAILURE,
    ),
    (
        "xml_content_tampered",
        ("xmldsig", "xades"),
        lambda s, pki: s.replace("権限".encode(), "義務".encode()),
        F,
        S.HASH_FAILURE,
    ),
    (
        "xml_signature_value_flipped",
        ("xmldsig", "xades"),
        lambda s, pki: _xml_signature_value_flipped(s),
        F,
        S.SIG_CRYPTO_FAILURE,
    ),
    (
        "xml_sha1_signature",
        ("xmldsig",),
        lambda s, pki: pki.sign_xml(SAMPLE_XML, "representative", sha1=True),
        IND,
        S.CRYPTO_CONSTRAINTS_FAILURE,
    ),
    (
        "xml_sha1_signature",
        ("xades",),
        lambda s, pki: pki.sign_xml(SAMPLE_XML, "representative", sha1=True, xades=True),
        IND,
        S.CRYPTO_CONSTRAINTS_FAILURE,
    ),
    (
        "xml_without_signature",
        ("xmldsig", "xades"),
        lambda s, pki: SAMPLE_XML,
        IND,
        S.SIGNED_DATA_NOT_FOUND,
    ),
    (
        "cms_sha1_signature",
        ("cms",),
        lambda s, pki: pki.sign_cms(SAMPLE_XML, "representative", md="sha1"),
        IND,
        S.CRYPTO_CONSTRAINTS_FAILURE,
    ),
    (
        "cms_over_other_bytes",
        ("cms",),
        lambda s, pki: pki.sign_cms(SAMPLE_XML + b"<!-- more -->", "representative"),
        F,
        S.HASH_FAILURE,
    ),
    (
        "cms_with_encapsulated_content",
        ("cms",),
        lambda s, pki: _cms_attached(pki),
        F,
        S.FORMAT_FAILURE,
    ),
]


def _cms_attached(pki) -> bytes:
    import asyncio

    signer = pki._pyhanko_signer("representative")
    return bytes(asyncio.run(signer.async_sign_general_data(SAMPLE_XML, "sha256", detached=False)).dump())


@pytest.mark.parametrize(
    ("container", "build", "indication", "sub"),
    [
        pytest.param(container, build, indication, sub, id=f"{case}-{container}")
        for case, containers, build, indication, sub in BAD_INPUTS
        for container in containers
    ],
)
def test_it_answers_bad_input_with_the_right_sub_indication_and_never_raises(
    container, build, indication, sub, sign, test_pki, policy, verify_container
) -> None:
    data = build(sign("representative", container), test_pki)
    report = verify_container(container, data, policy)
    assert (report.indication, report.sub_indication) == (indication, sub), report.detail
    assert report.signed_content is None  # a failed report vouches for no content


def test_it_rejects_an_id_reference_instead_of_the_whole_document(test_pki, policy) -> None:
    xml = SAMPLE_XML.replace(b"<Powers>", b'<Powers Id="p">')
    signed = test_pki.sign_xml(xml, "representative", reference_uri="#p")
    report = verify_xml(signed, policy)
    assert (report.indication, report.sub_indication) == (F, S.FORMAT_FAILURE)
    assert report.detail == "reference_to_whole_document_missing"


def test_it_needs_the_detached_content_for_cms(sign, policy) -> None:
    report = verify_cms(sign("representative", "cms"), None, policy)
    assert report.sub_indication == S.SIGNED_DATA_NOT_FOUND


def test_it_accepts_a_later_signature_only_when_the_policy_allows_it(sign, test_pki, policy) -> None:
    two = test_pki.sign_pdf(sign("representative", "pades"), "agent")
    relaxed = VerificationPolicy(policy.trust_anchors, policy.revocation, allow_later_signatures=True)
    report = verify_pades(two, relaxed)
    assert report.passed, report.detail
    assert report.signature_count == 2
    assert report.signer is not None
    assert report.signer["name"] == "代表\u3000太郎"  # the first signature is the one judged
    # ...but not an unsigned change after the second signature.
    assert verify_pades(_pdf_incremental_update(two), relaxed).sub_indication == S.FORMAT_FAILURE


@pytest.mark.parametrize("data", [None, "text", 12, b"%PDF-1.7\n", b"<x/>", b"\x30\x80", b"\x30" * 10000])
def test_it_never_raises_whatever_it_is_given(data, policy) -> None:
    for fn in (verify_pades, verify_xml):
        report = fn(data, policy)
        assert report.indication != Indication.TOTAL_PASSED
    assert verify_cms(data, b"x", policy).indication != Indication.TOTAL_PASSED
    if isinstance(data, bytes):
        assert not verify(data, policy).passed


def test_it_refuses_files_over_the_size_limit(sign, policy) -> None:
    small = VerificationPolicy(policy.trust_anchors, policy.revocation, max_bytes=1000)
    assert verify_pades(sign("representative", "pades"), small).detail == "file_too_large"
    assert verify_xml(sign("representative", "xmldsig"), small).detail == "file_too_large"


# --- trust and revocation through the verifier --------------------------------------------------------
@pytest.mark.parametrize("container", CONTAINERS)
def test_it_rejects_a_signature_from_an_untrusted_root_even_with_the_identical_name(
    container, sign, test_pki, verify_container
) -> None:
    only_lookalike = VerificationPolicy((test_pki.lookalike.public_bytes(_DER),), CRLSource([test_pki.crl()]))
    report = verify_container(container, sign("representative", container), only_lookalike)
    assert report.sub_indication == S.NO_CERTIFICATE_CHAIN_FOUND


@pytest.mark.parametrize("container", CONTAINERS)
@pytest.mark.parametrize(
    ("case", "source"),
    [
        ("no_source", lambda pki: None),
        ("no_crl", lambda pki: CRLSource([])),
        (
            "stale_crl",
            lambda pki: CRLSource(
                [
                    pki.crl(
                        this_update=datetime.now(UTC) - timedelta(days=3),
                        next_update=datetime.now(UTC) - timedelta(days=1),
                    )
                ]
            ),
        ),
        ("crl_signed_by_the_lookalike", lambda pki: CRLSource([pki.crl(signer="lookalike")])),
    ],
)
def test_missing_or_stale_revocation_data_is_try_later_never_good(
    container, case, source, sign, test_pki, verify_container
) -> None:
    p = VerificationPolicy((test_pki.root_der,), source(test_pki))
    report = verify_container(container, sign("representative", container), p)
    assert (report.indication, report.sub_indication) == (IND, S.TRY_LATER)


def test_a_certificate_revoked_after_the_validation_time_was_still_good_then(sign, test_pki) -> None:
    # Re-checking at a moment before the revocation date, with a CRL that was current then.
    revoked_at = test_pki.revoked[test_pki["revoked"].serial]
    moment = revoked_at - timedelta(hours=1)
    crl = test_pki.crl(this_update=moment - timedelta(hours=1), next_update=datetime.now(UTC) + timedelta(days=1))
    p = VerificationPolicy((test_pki.root_der,), CRLSource([crl]), moment=moment)
    report = verify_cms(sign("revoked", "cms"), SAMPLE_XML, p)
    assert report.passed, report.detail
    now = VerificationPolicy((test_pki.root_der,), CRLSource([crl]))
    assert verify_cms(sign("revoked", "cms"), SAMPLE_XML, now).sub_indication == S.REVOKED


def test_a_cms_signature_without_the_signer_certificate_is_indeterminate(test_pki, policy) -> None:
    from asn1crypto import cms

    info = cms.ContentInfo.load(test_pki.sign_cms(SAMPLE_XML, "representative"))
    info["content"]["certificates"] = cms.CertificateSet([])
    report = verify_cms(info.dump(force=True), SAMPLE_XML, policy)
    assert (report.indication, report.sub_indication) == (IND, S.NO_SIGNING_CERTIFICATE_FOUND)


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(position=st.floats(0, 1), value=st.integers(0, 255), container=st.sampled_from(CONTAINERS))
def test_a_single_corrupted_byte_never_passes_and_never_raises(
    position, value, container, sign, policy, verify_container
):
    data = bytearray(sign("representative", container))
    i = min(int(position * len(data)), len(data) - 1)
    assume(data[i] != value)
    data[i] = value
    report = verify_container(container, bytes(data), policy)
    # Some bytes are outside what the signature covers (PDF /Contents padding, XML whitespace in the
    # signature): those may still pass, but then the signed content is exactly the original.
    if report.passed:
        assert (
            report.signed_content_sha256
            == verify_container(container, sign("representative", container), policy).signed_content_sha256
        )
    json.dumps(report.to_dict())


from cryptography.hazmat.primitives.serialization import Encoding  # noqa: E402

_DER = Encoding.DER


def test_async_views_can_verify_through_averify(sign, policy) -> None:
    import asyncio

    from delegations.signatures import averify

    signed = sign("representative", "pades")

    async def view() -> SignatureReport:
        return await averify(signed, policy)

    assert asyncio.run(view()).passed


@pytest.mark.parametrize("container", CONTAINERS)
def test_verify_recognises_each_container_by_its_bytes(container, sign, policy) -> None:
    report = verify(sign("representative", container), policy, content=SAMPLE_XML)
    assert report.passed, report.detail
    assert report.container == container


def test_verify_accepts_a_pem_armoured_cms_signature(sign, policy) -> None:
    from asn1crypto import pem

    armoured = pem.armor("PKCS7", sign("representative", "cms"))
    assert verify(armoured, policy, content=SAMPLE_XML).passed
