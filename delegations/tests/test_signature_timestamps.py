"""Timestamps beside the signature: the TSA certificate checked for revocation, signature timestamps
of CMS and PAdES signatures listed like document timestamps, and XAdES-T examined."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from asn1crypto import cms
from lxml import etree

from delegations.signatures.report import Indication, SubIndication
from delegations.signatures.revocation import CRLSource
from delegations.signatures.testpki import SAMPLE_XML, TestPKI, TestTSA, add_signature_timestamp
from delegations.signatures.verify import VerificationPolicy, verify_cms, verify_pades, verify_xml

S = SubIndication
CONTAINERS = ("document", "pades", "cms", "xades")


def _policy(pki: TestPKI, crl: bytes, tsa: TestTSA, tsa_crls: list[bytes] | None = None) -> VerificationPolicy:
    return VerificationPolicy(
        (pki.root_der,),
        CRLSource([crl]),
        allow_later_signatures=True,
        tsa_anchors=(tsa.root_der,),
        tsa_revocation=CRLSource([tsa.crl()] if tsa_crls is None else tsa_crls),
    )


def _stamped(pki: TestPKI, unsigned_pdf: bytes, container: str, tsa: TestTSA, at: datetime | None = None) -> bytes:
    """A representative's signature with a timestamp of ``tsa``: a document timestamp after a PAdES
    signature, or a signature timestamp (PAdES, CMS, XAdES-T)."""
    if container == "document":
        return pki.timestamp_pdf(pki.sign_pdf(unsigned_pdf, "representative"), tsa=tsa, at=at)
    if container == "pades":
        return pki.sign_pdf(unsigned_pdf, "representative", tsa=tsa)
    if container == "cms":
        return pki.sign_cms(SAMPLE_XML, "representative", tsa=tsa)
    signed = pki.sign_xml(SAMPLE_XML, "representative", xades=True)
    root = etree.fromstring(signed)
    add_signature_timestamp(root, tsa, at=at)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _verify(container: str, data: bytes, policy: VerificationPolicy):
    if container in ("document", "pades"):
        return verify_pades(data, policy)
    if container == "cms":
        return verify_cms(data, SAMPLE_XML, policy)
    return verify_xml(data, policy)


@pytest.fixture(scope="module")
def own_tsa() -> TestTSA:
    return TestTSA.generate(name="Timestamp Tests TSA")


# --- signature timestamps are listed ----------------------------------------------------------------------
@pytest.mark.parametrize("container", CONTAINERS)
def test_every_timestamp_is_listed_with_its_time_authority_and_revocation(
    container, test_pki, fresh_crl, unsigned_pdf, own_tsa
) -> None:
    report = _verify(
        container, _stamped(test_pki, unsigned_pdf, container, own_tsa), _policy(test_pki, fresh_crl, own_tsa)
    )
    assert report.passed, report.detail
    (stamp,) = report.timestamps
    assert stamp["kind"] == ("document" if container == "document" else "signature")
    assert stamp["authority"] == own_tsa.cert.subject.rfc4514_string()
    assert stamp["revocation"]["status"] == "good"
    assert abs(datetime.fromisoformat(stamp["time"]) - datetime.now(UTC)) < timedelta(minutes=5)
    rows = {str(label): value for label, value in report.rows()}
    kind = "文書タイムスタンプ" if container == "document" else "署名タイムスタンプ"
    assert rows["タイムスタンプ 1"].startswith(kind)
    assert "時刻認証局：" in rows["タイムスタンプ 1"]
    assert "証明書の失効確認：失効していません" in rows["タイムスタンプ 1"]
    assert "年" in rows["タイムスタンプ 1"]  # the time in Japanese, not ISO


@pytest.mark.parametrize("container", ["pades", "cms", "xades"])
def test_a_signature_timestamp_from_an_untrusted_authority_is_refused(
    container, test_pki, fresh_crl, unsigned_pdf, own_tsa
) -> None:
    other = TestTSA.generate(name="Unlisted TSA")
    report = _verify(
        container, _stamped(test_pki, unsigned_pdf, container, other), _policy(test_pki, fresh_crl, own_tsa)
    )
    assert (report.indication, report.sub_indication) == (Indication.INDETERMINATE, S.NO_CERTIFICATE_CHAIN_FOUND)
    assert report.failed_part == "timestamp"
    assert report.detail.startswith("timestamp: authority_not_trusted")
    assert report.timestamps[0]["trusted"] is False


def test_a_cms_signature_timestamp_moved_from_another_signature_is_refused(test_pki, fresh_crl, own_tsa) -> None:
    # The token of one signature put into another: sound, trusted, but over another signature value.
    donor = cms.ContentInfo.load(test_pki.sign_cms(SAMPLE_XML, "representative", tsa=own_tsa))
    # Another digest, so that the target's signature value differs even when both are signed in the
    # same second (same signing time, same signed attributes, same deterministic RSA signature).
    target = cms.ContentInfo.load(test_pki.sign_cms(SAMPLE_XML, "representative", md="sha512"))
    target["content"]["signer_infos"][0]["unsigned_attrs"] = donor["content"]["signer_infos"][0]["unsigned_attrs"]
    report = verify_cms(target.dump(force=True), SAMPLE_XML, _policy(test_pki, fresh_crl, own_tsa))
    assert report.sub_indication == S.HASH_FAILURE
    assert report.failed_part == "timestamp"


# --- the TSA certificate's revocation ------------------------------------------------------------------------
@pytest.mark.parametrize("container", CONTAINERS)
def test_a_timestamp_whose_tsa_certificate_was_revoked_before_its_time_is_refused(
    container, test_pki, fresh_crl, unsigned_pdf
) -> None:
    tsa = TestTSA.generate(name="Revoked TSA")
    tsa.revoke(at=datetime.now(UTC) - timedelta(hours=1))
    report = _verify(container, _stamped(test_pki, unsigned_pdf, container, tsa), _policy(test_pki, fresh_crl, tsa))
    assert (report.indication, report.sub_indication) == (Indication.TOTAL_FAILED, S.REVOKED)
    assert report.failed_part == "timestamp"
    assert report.detail.startswith("timestamp: tsa_certificate_revoked_at")
    assert "時刻認証局の証明書" in str(report.message) and "失効" in str(report.message)
    assert report.timestamps[0]["revocation"]["status"] == "revoked"


@pytest.mark.parametrize("container", ["document", "xades"])
def test_a_tsa_certificate_revoked_after_the_timestamp_leaves_the_timestamp_standing(
    container, test_pki, fresh_crl, unsigned_pdf
) -> None:
    tsa = TestTSA.generate(name="Later Revoked TSA")
    now = datetime.now(UTC)
    tsa.revoke(at=now - timedelta(hours=1))
    data = _stamped(test_pki, unsigned_pdf, container, tsa, at=now - timedelta(hours=2))
    report = _verify(container, data, _policy(test_pki, fresh_crl, tsa))
    assert report.passed, report.detail
    (stamp,) = report.timestamps
    assert stamp["revocation"]["status"] == "revoked"
    assert "失効しています" in {str(k): v for k, v in report.rows()}["タイムスタンプ 1"]


@pytest.mark.parametrize(
    ("tsa_crls", "detail"),
    [
        pytest.param([], "timestamp: tsa_revocation no_crl_for_issuer", id="no-crl-for-the-tsa-root"),
        pytest.param(None, "timestamp: tsa_revocation crl_stale", id="stale-crl"),
    ],
)
def test_without_fresh_revocation_data_for_the_tsa_the_timestamp_is_try_later(
    tsa_crls, detail, test_pki, fresh_crl, unsigned_pdf, own_tsa
) -> None:
    if tsa_crls is None:
        old = datetime.now(UTC) - timedelta(days=3)
        tsa_crls = [own_tsa.crl(this_update=old, next_update=old + timedelta(days=1))]
    data = _stamped(test_pki, unsigned_pdf, "cms", own_tsa)
    report = verify_cms(data, SAMPLE_XML, _policy(test_pki, fresh_crl, own_tsa, tsa_crls))
    assert (report.sub_indication, report.failed_part) == (S.TRY_LATER, "timestamp")
    assert report.detail == detail
    assert "時刻認証局の証明書の失効情報" in str(report.message)


def test_without_a_tsa_revocation_source_a_timestamp_is_try_later(test_pki, fresh_crl, unsigned_pdf, own_tsa) -> None:
    policy = VerificationPolicy(
        (test_pki.root_der,), CRLSource([fresh_crl]), allow_later_signatures=True, tsa_anchors=(own_tsa.root_der,)
    )
    report = verify_pades(_stamped(test_pki, unsigned_pdf, "document", own_tsa), policy)
    assert (report.sub_indication, report.detail) == (S.TRY_LATER, "timestamp: no_tsa_revocation_source_configured")


# --- XAdES-T ---------------------------------------------------------------------------------------------------
def _xades_t(pki: TestPKI, tsa: TestTSA, **stamp) -> bytes:
    root = etree.fromstring(pki.sign_xml(SAMPLE_XML, "representative", xades=True))
    add_signature_timestamp(root, tsa, **stamp)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def test_a_xades_t_timestamp_over_something_else_than_the_signature_value_is_refused(
    test_pki, fresh_crl, own_tsa
) -> None:
    report = verify_xml(_xades_t(test_pki, own_tsa, imprint_of=b"<other/>"), _policy(test_pki, fresh_crl, own_tsa))
    assert (report.indication, report.sub_indication) == (Indication.TOTAL_FAILED, S.HASH_FAILURE)
    assert report.failed_part == "timestamp"
    assert report.detail == "timestamp: imprint_does_not_match_the_signature_value"
    assert "署名の値に対するものではありません" in str(report.message)


def test_a_xades_t_timestamp_moved_from_another_signature_is_refused(test_pki, fresh_crl, own_tsa) -> None:
    donor = etree.fromstring(_xades_t(test_pki, own_tsa))
    target = etree.fromstring(test_pki.sign_xml(SAMPLE_XML, "representative", xades=True))
    ns = {"ds": "http://www.w3.org/2000/09/xmldsig#", "xades": "http://uri.etsi.org/01903/v1.3.2#"}
    unsigned = donor.find(".//xades:UnsignedProperties", ns)
    target.find(".//xades:QualifyingProperties", ns).append(unsigned)
    report = verify_xml(etree.tostring(target), _policy(test_pki, fresh_crl, own_tsa))
    assert (report.sub_indication, report.failed_part) == (S.HASH_FAILURE, "timestamp")


@pytest.mark.parametrize(
    ("token", "detail"),
    [
        pytest.param("bm90IGEgdG9rZW4=", "timestamp: unreadable_signature_timestamp", id="not-a-token"),
        pytest.param("!!", "timestamp: unreadable_signature_timestamp", id="not-base64"),
    ],
)
def test_an_unreadable_xades_t_timestamp_is_a_format_failure(token, detail, test_pki, fresh_crl, own_tsa) -> None:
    root = etree.fromstring(_xades_t(test_pki, own_tsa))
    root.find(".//{http://uri.etsi.org/01903/v1.3.2#}EncapsulatedTimeStamp").text = token
    report = verify_xml(etree.tostring(root), _policy(test_pki, fresh_crl, own_tsa))
    assert (report.sub_indication, report.failed_part, report.detail) == (S.FORMAT_FAILURE, "timestamp", detail)
    assert "タイムスタンプの形式" in str(report.message)


def test_a_tampered_xades_t_token_is_refused(test_pki, fresh_crl, own_tsa) -> None:
    root = etree.fromstring(_xades_t(test_pki, own_tsa))
    element = root.find(".//{http://uri.etsi.org/01903/v1.3.2#}EncapsulatedTimeStamp")
    token = bytearray(base64.b64decode(element.text))
    token[-10] ^= 0x01  # inside the TSA's signature value
    element.text = base64.b64encode(bytes(token)).decode()
    report = verify_xml(etree.tostring(root), _policy(test_pki, fresh_crl, own_tsa))
    assert (report.sub_indication, report.failed_part) == (S.SIG_CRYPTO_FAILURE, "timestamp")


def test_a_xades_signature_without_timestamp_needs_no_tsa(test_pki, fresh_crl, own_tsa) -> None:
    report = verify_xml(
        test_pki.sign_xml(SAMPLE_XML, "representative", xades=True),
        VerificationPolicy((test_pki.root_der,), CRLSource([fresh_crl])),
    )
    assert report.passed, report.detail
    assert report.timestamps == []


def test_a_signature_timestamp_outside_the_unsigned_properties_is_a_format_failure(
    test_pki, fresh_crl, own_tsa
) -> None:
    root = etree.fromstring(_xades_t(test_pki, own_tsa))
    ns = "{http://uri.etsi.org/01903/v1.3.2#}"
    stamp = root.find(f".//{ns}SignatureTimeStamp")
    root.find(f".//{ns}QualifyingProperties").append(stamp)  # moved out of UnsignedSignatureProperties
    report = verify_xml(etree.tostring(root), _policy(test_pki, fresh_crl, own_tsa))
    # signxml's XAdES schema refuses it first (before, the schema error was an unexpected GENERIC).
    assert report.sub_indication == S.FORMAT_FAILURE
    assert report.detail.startswith("signxml: ")
