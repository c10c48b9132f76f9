"""Long-term PDF signatures: a JPKI signature followed by a document timestamp or a validation-data
(DSS) update is accepted, the timestamp verified against the TSA trust list."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

import audit
from conftest import make_staff
from delegations import services, trust
from delegations.models import TrustAnchor
from delegations.signatures.report import Indication, SubIndication
from delegations.signatures.revocation import CRLSource
from delegations.signatures.testpki import TestTSA
from delegations.signatures.verify import VerificationPolicy, verify_pades
from delegations.tests.lifecycle import make_finalised

S = SubIndication


@pytest.fixture(scope="module")
def lta_policy(test_pki, fresh_crl) -> VerificationPolicy:
    return VerificationPolicy(
        (test_pki.root_der,),
        CRLSource([fresh_crl]),
        allow_later_signatures=True,
        tsa_anchors=(test_pki.timestamping.root_der,),
        tsa_revocation=CRLSource([test_pki.timestamping.crl()]),
    )


@pytest.fixture(scope="module")
def other_tsa() -> TestTSA:
    return TestTSA.generate(name="Unknown TSA")


def _content_change(pdf: bytes) -> bytes:
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    page = writer.root["/Pages"]["/Kids"][0]
    page.get_object()["/Contents"] = writer.add_object(generic.StreamObject(stream_data=b"BT (forged) Tj ET"))
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(lambda pki, s: pki.timestamp_pdf(s), id="document-timestamp"),
        pytest.param(lambda pki, s: pki.add_validation_data(s), id="dss-update-only"),
        pytest.param(lambda pki, s: pki.timestamp_pdf(pki.add_validation_data(s)), id="dss-then-timestamp"),
        pytest.param(
            lambda pki, s: pki.timestamp_pdf(pki.add_validation_data(pki.timestamp_pdf(s))), id="two-timestamps"
        ),
    ],
)
def test_a_jpki_signature_followed_by_lta_updates_is_accepted(build, sign, test_pki, lta_policy) -> None:
    report = verify_pades(build(test_pki, sign("representative", "pades")), lta_policy)
    assert report.passed, report.detail
    assert report.signature_count == 1
    assert report.signer is not None and report.signer["name"] == "代表\u3000太郎"


def test_the_report_shows_the_timestamps_time_and_authority(sign, test_pki, lta_policy) -> None:
    report = verify_pades(test_pki.timestamp_pdf(sign("representative", "pades")), lta_policy)
    assert report.passed, report.detail
    (stamp,) = report.timestamps
    assert stamp["authority"] == test_pki.timestamping.cert.subject.rfc4514_string()
    assert report.signing_time is not None
    assert stamp["time"] > report.signing_time.isoformat()
    rows = {str(label): value for label, value in report.rows()}
    assert "時刻認証局：" in rows["タイムスタンプ 1"]
    assert "年" in rows["タイムスタンプ 1"]


@pytest.mark.parametrize("case", ["no_tsa_anchors", "unknown_tsa"])
def test_a_timestamp_from_an_untrusted_authority_is_indeterminate_and_says_so(
    case, sign, test_pki, lta_policy, other_tsa
) -> None:
    if case == "no_tsa_anchors":
        policy = VerificationPolicy(lta_policy.trust_anchors, lta_policy.revocation, allow_later_signatures=True)
        data = test_pki.timestamp_pdf(sign("representative", "pades"))
    else:
        policy, data = lta_policy, test_pki.timestamp_pdf(sign("representative", "pades"), tsa=other_tsa)
    report = verify_pades(data, policy)
    assert (report.indication, report.sub_indication) == (Indication.INDETERMINATE, S.NO_CERTIFICATE_CHAIN_FOUND)
    assert report.failed_part == "timestamp"
    assert "時刻認証局" in str(report.message)
    assert report.detail.startswith("timestamp:")


@pytest.mark.parametrize(
    ("build", "detail"),
    [
        (lambda pki, s: pki.timestamp_pdf(s) + b"\n%junk\n", "data_after_the_last_revision"),
        (lambda pki, s: pki.add_validation_data(s) + b"\n%junk\n", "data_after_the_last_revision"),
        (lambda pki, s: _content_change(pki.timestamp_pdf(s)), "content_changed_after_signing"),
        (lambda pki, s: pki.timestamp_pdf(_content_change(s)), "content_changed_after_signing"),
    ],
)
def test_anything_but_lta_updates_after_the_signature_is_still_refused(
    build, detail, sign, test_pki, lta_policy
) -> None:
    report = verify_pades(build(test_pki, sign("representative", "pades")), lta_policy)
    assert report.sub_indication == S.FORMAT_FAILURE
    assert report.detail.startswith(detail)


def test_a_pdf_with_only_a_document_timestamp_has_no_signature(unsigned_pdf, test_pki, lta_policy) -> None:
    report = verify_pades(test_pki.timestamp_pdf(unsigned_pdf), lta_policy)
    assert report.sub_indication == S.SIGNED_DATA_NOT_FOUND
    assert report.detail == "only_document_timestamps"


# --- the TSA trust list, managed like the signing anchors --------------------------------------------
@pytest.fixture
def operators(db):
    return make_staff("service_operator", "tsa-op1@staff.example.jp"), make_staff(
        "service_operator", "tsa-op2@staff.example.jp"
    )


@pytest.mark.django_db
def test_a_tsa_root_is_trusted_for_timestamps_only_after_four_eyes(test_pki, operators) -> None:
    first, second = operators
    root = test_pki.timestamping.root_der
    change = trust.request_anchor_addition(root, actor=first, purpose="timestamping", reason="TSA")
    assert trust.verification_policy().tsa_anchors == ()
    with pytest.raises(trust.TrustError):
        trust.approve_anchor_change(change, actor=first)
    trust.approve_anchor_change(change, actor=second)
    policy = trust.verification_policy()
    assert policy.tsa_anchors == (root,)
    assert policy.trust_anchors == ()  # a TSA root never vouches for a signer
    assert TrustAnchor.objects.get().purpose == TrustAnchor.Purpose.TIMESTAMPING


@pytest.mark.django_db
def test_the_trust_command_adds_a_tsa_root(test_pki, operators, tmp_path, monkeypatch) -> None:
    from delegations.tests.test_trust_anchors import code_for

    first, _second = operators
    path = tmp_path / "tsa.der"
    path.write_bytes(test_pki.timestamping.root_der)
    monkeypatch.setenv("MYNATRUST_OTP_CODE", code_for(first))
    out = io.StringIO()
    call_command("trust", "add", str(path), "--purpose", "timestamping", "--as", first.email, stdout=out)
    assert "用途：時刻認証局（タイムスタンプ）" in out.getvalue()
    assert TrustAnchor.objects.get().purpose == "timestamping"


@pytest.mark.django_db
def test_an_upload_with_a_document_timestamp_is_stored_with_its_timestamp(
    subscriber, member, trusted_pki, client
) -> None:
    from django.urls import reverse

    trust.install_demo_anchor(trusted_pki.timestamping.root_der, purpose="timestamping")
    trust.import_crl(trusted_pki.timestamping.crl(), actor=audit.SYSTEM)  # the TSA root's CRL
    delegation = make_finalised(subscriber, member)
    stamped = trusted_pki.timestamp_pdf(trusted_pki.sign_pdf(bytes(delegation.pdf), "representative"))
    stored = services.submit_signed_file(delegation, stamped, actor=member, role="principal")
    (stamp,) = stored.signed_file.report["timestamps"]
    assert stamp["authority"].endswith("O=MynaTrust Test TSA,C=JP")
    client.force_login(member)
    url = reverse("delegations:report", kwargs={"public_id": delegation.public_id, "role": "principal"})
    page = client.get(url).content.decode()
    assert "タイムスタンプ 1" in page
    assert "時刻認証局" in page
    assert "T" not in page.split("タイムスタンプ 1", 1)[1].split("時刻認証局", 1)[0]  # no ISO time


@pytest.mark.django_db
def test_a_tsa_roots_crl_is_imported_like_a_signing_roots(trusted_pki) -> None:
    from delegations.models import RevocationList
    from delegations.signatures.profile import fingerprint

    trust.install_demo_anchor(trusted_pki.timestamping.root_der, purpose="timestamping")
    imported = trust.import_crl(trusted_pki.timestamping.crl(), actor=audit.SYSTEM)
    assert imported.crl is not None
    assert RevocationList.objects.current_for(fingerprint(trusted_pki.timestamping.root)) is not None


@pytest.mark.django_db
def test_an_upload_whose_tsa_was_revoked_before_the_timestamp_is_refused_and_recorded(
    subscriber, member, trusted_pki
) -> None:
    from datetime import UTC, datetime, timedelta

    from audit.models import AuditEvent

    tsa = TestTSA.generate(name="Revoked Upload TSA")
    tsa.revoke(at=datetime.now(UTC) - timedelta(hours=1))
    trust.install_demo_anchor(tsa.root_der, purpose="timestamping")
    trust.import_crl(tsa.crl(), actor=audit.SYSTEM)
    delegation = make_finalised(subscriber, member)
    stamped = trusted_pki.sign_pdf(bytes(delegation.pdf), "representative", tsa=tsa)
    with pytest.raises(services.DelegationError) as refused:
        services.submit_signed_file(delegation, stamped, actor=member, role="principal")
    assert refused.value.code == "signature_revoked"
    assert "時刻認証局の証明書" in str(refused.value.message)
    event = AuditEvent.objects.filter(event_type="delegations.signed_file.refused").latest("id")
    assert event.data["code"] == "signature_revoked"
    delegation.refresh_from_db()
    assert not delegation.signed_files.exists()


@pytest.mark.django_db
def test_the_report_page_lists_a_signature_timestamp_in_japanese_time(subscriber, member, trusted_pki, client) -> None:
    from django.urls import reverse

    trust.install_demo_anchor(trusted_pki.timestamping.root_der, purpose="timestamping")
    trust.import_crl(trusted_pki.timestamping.crl(), actor=audit.SYSTEM)
    delegation = make_finalised(subscriber, member)
    signed = trusted_pki.sign_pdf(bytes(delegation.pdf), "representative", tsa=trusted_pki.timestamping)
    stored = services.submit_signed_file(delegation, signed, actor=member, role="principal")
    (stamp,) = stored.signed_file.report["timestamps"]
    assert stamp["kind"] == "signature"
    client.force_login(member)
    url = reverse("delegations:report", kwargs={"public_id": delegation.public_id, "role": "principal"})
    page = client.get(url).content.decode()
    row = page.split("タイムスタンプ 1", 1)[1]
    assert "署名タイムスタンプ" in row.split("ファイルの SHA-256", 1)[0]
    assert "T" not in row.split("署名タイムスタンプ", 1)[1].split("時刻認証局", 1)[0]  # no ISO time
