"""The reason a refused signature is given: the true one, in every container, beside every other failure."""

from __future__ import annotations

import binascii
import io
import re

import pytest
from asn1crypto import cms
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives.asymmetric import ec, ed448
from lxml import etree
from signxml import XMLSigner, methods

from delegations.signatures.report import Indication, SignatureReport, SubIndication
from delegations.signatures.testpki import SAMPLE_XML, PersonaSpec, make_pdf
from delegations.signatures.verify import verify, verify_cms, verify_pades, verify_xml

F, IND = Indication.TOTAL_FAILED, Indication.INDETERMINATE
S = SubIndication
DSIG = "{http://www.w3.org/2000/09/xmldsig#}"


def _enveloping(xml: bytes, persona) -> bytes:
    signer = XMLSigner(method=methods.enveloping)
    return etree.tostring(signer.sign(etree.fromstring(xml), key=persona.key, cert=[persona.cert]))


# --- enveloping XML -----------------------------------------------------------------------------------
def test_an_enveloping_xml_signature_is_a_format_failure_that_says_so(test_pki, policy) -> None:
    report = verify(_enveloping(SAMPLE_XML, test_pki["representative"]), policy)
    assert (report.indication, report.sub_indication) == (F, S.FORMAT_FAILURE)
    assert report.detail.startswith("enveloping_signature")
    assert report.signature_count == 1
    assert "enveloped" in str(report.message)  # not "sign before uploading"
    assert report.other_failures == []  # a trusted test card: nothing else is wrong


def test_a_counter_signed_enveloping_signature_counts_both_signatures(test_pki, policy) -> None:
    # The outer signature envelops the inner one (a counter-signature in ds:Object).
    inner = _enveloping(SAMPLE_XML, test_pki["representative"])
    outer = _enveloping(inner, test_pki["agent"])
    report = verify_xml(outer, policy)
    assert report.sub_indication == S.FORMAT_FAILURE
    assert report.detail.startswith("enveloping_signature")
    assert report.signature_count == 2


def test_a_detached_xml_signature_says_it_is_detached(test_pki, policy) -> None:
    signed = test_pki.sign_xml(SAMPLE_XML, "representative")
    detached = signed.replace(b'URI=""', b'URI="https://example.jp/delegation.xml"', 1)
    report = verify_xml(detached, policy)
    assert report.sub_indication == S.FORMAT_FAILURE
    assert report.detail.startswith("detached_signature")


# --- swapped signer certificates ------------------------------------------------------------------------
def _swap_cms_certificate(der: bytes, cert_der: bytes) -> bytes:
    info = cms.ContentInfo.load(der)
    choice = cms.CertificateChoices({"certificate": asn1_x509.Certificate.load(cert_der)})
    info["content"]["certificates"] = cms.CertificateSet([choice])
    return info.dump(force=True)


def _swap_pdf_certificate(pdf: bytes, cert_der: bytes) -> bytes:
    match = re.search(rb"/Contents\s*<([0-9a-fA-F]+)>", pdf)
    assert match
    original = cms.ContentInfo.load(binascii.unhexlify(match.group(1)), strict=False).dump()
    swapped = binascii.hexlify(_swap_cms_certificate(original, cert_der)).ljust(len(match.group(1)), b"0")
    assert len(swapped) == len(match.group(1))
    return pdf[: match.start(1)] + swapped + pdf[match.end(1) :]


def _swap_xml_certificate(xml: bytes, cert_der: bytes) -> bytes:
    import base64

    root = etree.fromstring(xml)
    element = next(root.iter(f"{DSIG}X509Certificate"))
    element.text = base64.b64encode(cert_der).decode()
    return etree.tostring(root)


@pytest.mark.parametrize(
    ("container", "expected"),
    [
        # pyHanko's own answer: the ESS signing-certificate attribute names a certificate the file lacks.
        ("pades", (IND, S.NO_SIGNING_CERTIFICATE_FOUND)),
        ("cms", (IND, S.NO_SIGNING_CERTIFICATE_FOUND)),
        # XAdES binds its signer the same way (SigningCertificateV2), checked before the signature value.
        ("xades", (IND, S.NO_SIGNING_CERTIFICATE_FOUND)),
        # Plain XMLDSig names no certificate in what it signs: the value fails under the one it carries.
        ("xmldsig", (F, S.SIG_CRYPTO_FAILURE)),
    ],
)
def test_a_swapped_signer_certificate_keeps_the_libraries_sub_indication(
    container, expected, sign, test_pki, policy, verify_container
) -> None:
    other = test_pki["agent"].cert_der
    signed = sign("representative", container)
    swap = {"pades": _swap_pdf_certificate, "cms": _swap_cms_certificate}.get(container, _swap_xml_certificate)
    report = verify_container(container, swap(signed, other), policy)
    assert (report.indication, report.sub_indication) == expected, report.detail
    assert report.signed_content is None


# --- integrity before algorithms ---------------------------------------------------------------------------
def _tamper_pdf(pdf: bytes) -> bytes:
    i = pdf.find(b"stream", 200) + 20
    return pdf[:i] + bytes([pdf[i] ^ 1]) + pdf[i + 1 :]


@pytest.mark.parametrize("container", ["pades", "xmldsig", "xades", "cms"])
def test_a_tampered_sha1_signature_is_a_hash_failure_and_an_intact_one_a_crypto_constraint(
    container, test_pki, policy, verify_container
) -> None:
    if container == "pades":
        signed = test_pki.sign_pdf(make_pdf(), "representative", md="sha1")
        tampered, content = _tamper_pdf(signed), SAMPLE_XML
    elif container == "cms":
        signed = test_pki.sign_cms(SAMPLE_XML, "representative", md="sha1")
        tampered, content = signed, SAMPLE_XML + b" "
    else:
        signed = test_pki.sign_xml(SAMPLE_XML, "representative", sha1=True, xades=container == "xades")
        tampered, content = signed.replace("権限".encode(), "義務".encode()), SAMPLE_XML
    untouched = verify_container(container, signed, policy)
    assert (untouched.indication, untouched.sub_indication) == (IND, S.CRYPTO_CONSTRAINTS_FAILURE), untouched.detail
    report = verify_container(container, tampered, policy, content)
    assert (report.indication, report.sub_indication) == (F, S.HASH_FAILURE), report.detail


# --- a reference to the root element's Id; every failure listed -----------------------------------------
def test_a_reference_to_the_root_elements_id_is_refused_for_what_it_is_and_the_chain_is_still_checked(
    test_pki, policy
) -> None:
    xml = SAMPLE_XML.replace(b"<Delegation ", b'<Delegation Id="d" ', 1)
    signed = test_pki.sign_xml(xml, "untrusted", reference_uri="#d")
    report = verify_xml(signed, policy)
    assert (report.indication, report.sub_indication) == (F, S.FORMAT_FAILURE)
    assert report.detail.startswith("reference_to_the_root_element_id")
    assert report.detail != "reference_to_whole_document_missing"
    # The look-alike root is reported too, not only the first failure.
    assert {f["sub_indication"] for f in report.other_failures} == {"NO_CERTIFICATE_CHAIN_FOUND"}


def test_a_tampered_pdf_from_an_untrusted_card_lists_both_failures(sign, policy) -> None:
    report = verify_pades(_tamper_pdf(sign("untrusted", "pades")), policy)
    assert report.sub_indication == S.HASH_FAILURE
    assert "NO_CERTIFICATE_CHAIN_FOUND" in {f["sub_indication"] for f in report.other_failures}


def test_an_expired_authentication_certificate_lists_each_chain_failure(sign, policy) -> None:
    # Algorithms, anchor, profile and period are all checked; the first in order decides.
    report = verify_cms(sign("authentication", "cms"), SAMPLE_XML, policy)
    assert report.sub_indication == S.SIG_CONSTRAINTS_FAILURE
    assert report.other_failures == []


# --- key types ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def other_keys(test_pki):
    for key_name, key in (
        ("p384", ec.generate_private_key(ec.SECP384R1())),
        ("ed448", ed448.Ed448PrivateKey.generate()),
    ):
        if key_name not in test_pki.personas:
            test_pki.issue(PersonaSpec(key_name, key_name, name="鍵種\u3000別子", address="東京都千代田区1番"), key=key)
    return test_pki


@pytest.mark.parametrize(
    ("persona", "container", "kind"),
    [("p384", "cms", "EC secp384r1"), ("p384", "xmldsig", "EC secp384r1"), ("ed448", "cms", "Ed448")],
)
def test_a_key_of_another_type_is_refused_as_such_not_as_too_weak(persona, container, kind, other_keys, policy):
    pki = other_keys
    if container == "cms":
        signed = pki.sign_cms(SAMPLE_XML, persona, md="shake256" if persona == "ed448" else "sha384")
        report = verify_cms(signed, SAMPLE_XML, policy)
    else:
        report = verify_xml(pki.sign_xml(SAMPLE_XML, persona), policy)
    assert (report.indication, report.sub_indication) == (IND, S.CRYPTO_CONSTRAINTS_FAILURE), report.detail
    assert report.detail.startswith("signer_key_type_not_accepted")
    assert kind in report.detail
    assert "too_weak" not in report.detail
    assert "RSA" in str(report.message)


def test_a_short_rsa_key_is_still_too_weak(sign, policy) -> None:
    report = verify_cms(sign("rsa1024", "cms"), SAMPLE_XML, policy)
    assert report.detail == "signer_key_too_weak: RSA-1024"


# --- container labels --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("data", "detail"), [(b"", "empty_file"), (b"  \n", "empty_file"), (b"hello", "unrecognised_format")]
)
def test_a_file_of_no_known_container_is_labelled_unknown(data, detail, policy) -> None:
    report = verify(data, policy)
    assert report.container == "unknown"
    assert (report.sub_indication, report.detail) == (S.FORMAT_FAILURE, detail)


# --- difference analysis: what changed after a single signature --------------------------------------------
def _page_content_update(signed: bytes) -> bytes:
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(signed))
    page = writer.root["/Pages"]["/Kids"][0]
    stream = generic.StreamObject(stream_data=b"BT /F1 24 Tf 72 700 Td (forged) Tj ET")
    page.get_object()["/Contents"] = writer.add_object(stream)
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_junk_after_eof_and_a_content_change_get_different_reasons(sign, policy) -> None:
    signed = sign("representative", "pades")
    junk = verify_pades(signed + b"\n%junk\n", policy)
    changed = verify_pades(_page_content_update(signed), policy)
    assert junk.sub_indication == changed.sub_indication == S.FORMAT_FAILURE
    assert junk.detail.startswith("data_after_the_signed_revision")
    assert changed.detail == "content_changed_after_signing"
    assert str(junk.message) != str(changed.message)


# --- the report in words ----------------------------------------------------------------------------------------
def test_the_rows_of_a_refusal_show_codes_only_beside_their_japanese_label(test_pki, policy) -> None:
    report = verify(_enveloping(SAMPLE_XML, test_pki["representative"]), policy)
    rows = {str(label): value for label, value in report.rows()}
    assert rows["理由"].startswith("形式の不備（FORMAT_FAILURE）")
    assert rows["形式"] == "XML 署名（XMLDSig）"
    assert "T" not in rows["検証日時"]  # no ISO/UTC timestamp: the day and time in Japan
    assert "年" in rows["検証日時"]
    report.expert = False
    assert "技術的な詳細（運用者向け）" not in {str(label) for label, _ in report.rows()}
    assert report.to_dict()["detail"] == ""


def test_a_report_keeps_its_other_failures_and_timestamps_through_json(sign, policy) -> None:
    report = verify_pades(_tamper_pdf(sign("untrusted", "pades")), policy)
    again = SignatureReport.from_dict(report.to_dict())
    assert again.other_failures == report.other_failures
    assert again.to_dict() == report.to_dict()
