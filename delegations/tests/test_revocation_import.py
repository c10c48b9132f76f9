"""Imported CRLs: checks on import, the indexed table, the database source, commands and the demo."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

import audit
from audit.models import AuditEvent
from conftest import make_staff
from delegations import trust
from delegations.models import RevocationList, RevokedSerial, TrustAnchor
from delegations.signatures.profile import fingerprint
from delegations.signatures.report import Indication, SubIndication
from delegations.signatures.testpki import SAMPLE_XML, TestPKI
from delegations.signatures.verify import verify_cms, verify_pades

pytestmark = pytest.mark.django_db
NOW = datetime.now(UTC)


@pytest.fixture
def anchor(test_pki) -> TrustAnchor:
    first = make_staff("service_operator", "op1@staff.example.jp")
    second = make_staff("service_operator", "op2@staff.example.jp")
    change = trust.request_anchor_addition(test_pki.root_der, actor=first)
    trust.approve_anchor_change(change, actor=second)
    return TrustAnchor.objects.get()


def test_an_imported_crl_fills_the_indexed_table_and_answers_lookups(test_pki, anchor, sign) -> None:
    result = trust.import_crl(test_pki.crl(), actor=audit.SYSTEM)
    assert result.entries == len(test_pki.revoked) == RevokedSerial.objects.count()
    policy = trust.verification_policy()
    good = verify_pades(sign("representative", "pades"), policy)
    assert good.passed, good.detail
    assert good.revocation is not None
    assert result.crl is not None
    assert good.revocation["evidence"]["crl_sha256"] == result.crl.sha256
    revoked = verify_cms(sign("revoked", "cms"), SAMPLE_XML, policy)
    assert revoked.sub_indication == SubIndication.REVOKED
    assert AuditEvent.objects.filter(event_type="delegations.crl.imported").count() == 1


def test_without_an_imported_crl_every_signature_is_try_later(anchor, sign) -> None:
    report = verify_pades(sign("representative", "pades"), trust.verification_policy())
    assert (report.indication, report.sub_indication) == (Indication.INDETERMINATE, SubIndication.TRY_LATER)


def test_a_crl_that_went_stale_after_import_gives_try_later(test_pki, anchor, sign) -> None:
    trust.import_crl(test_pki.crl(next_update=NOW + timedelta(hours=1)), actor=audit.SYSTEM)
    later = trust.verification_policy(moment=NOW + timedelta(hours=2))
    report = verify_cms(sign("representative", "cms"), SAMPLE_XML, later)
    assert report.sub_indication == SubIndication.TRY_LATER
    assert report.revocation is not None
    assert report.revocation["detail"] == "crl_stale"


@pytest.mark.parametrize(
    ("case", "build", "code"),
    [
        ("garbage", lambda pki: b"not a crl", "not_a_crl"),
        ("signed_by_the_lookalike", lambda pki: pki.crl(signer="lookalike"), "untrusted_issuer"),
        (
            "already_stale",
            lambda pki: pki.crl(this_update=NOW - timedelta(days=3), next_update=NOW - timedelta(days=1)),
            "crl_stale",
        ),
    ],
)
def test_it_refuses_a_bad_crl_and_records_the_refusal(case, build, code, test_pki, anchor) -> None:
    with pytest.raises(trust.TrustError) as excinfo:
        trust.import_crl(build(test_pki), actor=audit.SYSTEM)
    assert excinfo.value.code == code
    assert AuditEvent.objects.filter(event_type="delegations.crl.import_refused").exists()
    assert not RevocationList.objects.exists()


def test_it_refuses_a_partitioned_crl_that_would_hide_other_revocations(test_pki, anchor) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.serialization import Encoding

    idp = x509.IssuingDistributionPoint(
        full_name=[x509.UniformResourceIdentifier("ldap://example.invalid/part1")],
        relative_name=None,
        only_contains_user_certs=True,
        only_contains_ca_certs=False,
        only_some_reasons=None,
        indirect_crl=False,
        only_contains_attribute_certs=False,
    )
    partial = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(test_pki.root.subject)
        .last_update(NOW - timedelta(minutes=1))
        .next_update(NOW + timedelta(days=1))
        .add_extension(x509.CRLNumber(99), critical=False)
        .add_extension(idp, critical=True)
        .sign(test_pki.root_key, hashes.SHA256())
        .public_bytes(Encoding.DER)
    )
    with pytest.raises(trust.TrustError) as excinfo:
        trust.import_crl(partial, actor=audit.SYSTEM)
    assert excinfo.value.code == "partial_crl"


def test_an_older_crl_cannot_replace_a_newer_one(test_pki, anchor) -> None:
    old = test_pki.crl(number=5, this_update=NOW - timedelta(hours=2))
    new = test_pki.crl(number=6, this_update=NOW - timedelta(hours=1))
    trust.import_crl(new, actor=audit.SYSTEM)
    with pytest.raises(trust.TrustError) as excinfo:
        trust.import_crl(old, actor=audit.SYSTEM)
    assert excinfo.value.code == "not_newer"


def test_a_newer_crl_replaces_the_entries_of_the_previous_one(test_pki, anchor) -> None:
    trust.import_crl(test_pki.crl(number=1, revoked={}), actor=audit.SYSTEM)
    extra = {test_pki["agent"].serial: NOW - timedelta(minutes=30), **test_pki.revoked}
    trust.import_crl(test_pki.crl(number=2, revoked=extra), actor=audit.SYSTEM)
    assert RevocationList.objects.filter(is_current=True).count() == 1
    assert RevokedSerial.objects.count() == 2


def test_a_large_crl_imports_and_a_lookup_stays_indexed(test_pki, anchor, django_assert_max_num_queries) -> None:
    # 20,000 entries here; the 1,000,000-entry figure is measured by bench/signatures_crl.py.
    revoked_serial = test_pki["revoked"].serial
    der = test_pki.big_crl(20_000, include=(revoked_serial,))
    result = trust.import_crl(der, actor=audit.SYSTEM)
    assert result.entries == 20_000
    source = trust.DatabaseCRLSource()
    with django_assert_max_num_queries(1):
        answer = source.check(test_pki["revoked"].cert, test_pki.root, datetime.now(UTC))
    assert answer.status == "revoked"


def test_the_crl_command_imports_with_dry_run_and_status(test_pki, anchor, tmp_path, monkeypatch) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from delegations.tests.test_trust_anchors import code_for
    from mynatrust.models import User

    path = tmp_path / "jpki.crl"
    path.write_bytes(test_pki.crl())
    out = StringIO()
    call_command("crl", "import", str(path), "--dry-run", stdout=out)
    assert "試行のみ：CRL #" in out.getvalue() and "何も保存していません。" in out.getvalue()
    assert not RevocationList.objects.exists()
    # Naming a staff member is not enough: their current authenticator code is asked.
    monkeypatch.setenv("MYNATRUST_OTP_CODE", "not-a-code")
    with pytest.raises(CommandError, match="認証アプリのコードが違う"):
        call_command("crl", "import", str(path), "--as", "op1@staff.example.jp", stdout=out)
    assert not RevocationList.objects.exists()
    TOTPDevice.objects.update(throttling_failure_count=0)  # the failure above throttles the next try
    monkeypatch.setenv("MYNATRUST_OTP_CODE", code_for(User.objects.get(email="op1@staff.example.jp")))
    call_command("crl", "import", str(path), "--as", "op1@staff.example.jp", stdout=out)
    assert RevocationList.objects.get().imported_by is not None
    imported = AuditEvent.objects.get(event_type="delegations.crl.imported")
    assert imported.data["entry_point"]["entry"] == "cli"
    call_command("crl", "status", stdout=out)
    assert "現在の CRL 1 件（うち期限切れ 0 件）" in out.getvalue()
    with pytest.raises(CommandError, match="拒否しました：この CRL はすでに取り込まれています。"):
        call_command("crl", "import", str(path), stdout=out)


@pytest.mark.parametrize(
    ("persona", "container", "exit_code"),
    [("representative", "pades", 0), ("revoked", "xades", 1), ("untrusted", "cms", 2)],
)
def test_verify_signature_prints_the_report_and_exits_by_indication(
    persona, container, exit_code, test_pki, anchor, sign, tmp_path
) -> None:
    trust.import_crl(test_pki.crl(), actor=audit.SYSTEM)
    signed = tmp_path / "signed"
    signed.write_bytes(sign(persona, container))
    content = tmp_path / "content.xml"
    content.write_bytes(SAMPLE_XML)
    extra = ["--content", str(content)] if container == "cms" else []
    out = StringIO()
    code = 0
    try:
        call_command("verify_signature", str(signed), *extra, stdout=out)
    except SystemExit as exc:
        code = int(exc.code or 0)
    assert code == exit_code
    assert "判定：" in out.getvalue()
    out = StringIO()
    with contextlib.suppress(SystemExit):
        call_command("verify_signature", str(signed), *extra, "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["indication"] in {"TOTAL_PASSED", "TOTAL_FAILED", "INDETERMINATE"}


def test_the_report_page_renders_in_japanese_with_one_h1(test_pki, anchor, sign) -> None:
    from django.template.loader import render_to_string

    trust.import_crl(test_pki.crl(), actor=audit.SYSTEM)
    report = verify_pades(sign("substitute", "pades"), trust.verification_policy())
    html = render_to_string("delegations/report.html", {"report": report})
    assert html.count("<h1") == 1
    assert "髙橋\u3000吉男" in html
    assert "署名は有効です" in html


def test_demo_setup_installs_the_test_pki_idempotently(settings, tmp_path) -> None:
    from delegations import demo

    settings.SIGNATURE_TEST_PKI_DIR = str(tmp_path / "testpki")
    settings.DEMO_MODE = True

    class Cmd:
        stdout = StringIO()

    demo.setup(Cmd())
    demo.setup(Cmd())
    pki = TestPKI.load(settings.SIGNATURE_TEST_PKI_DIR)
    assert TrustAnchor.objects.signing().get().fingerprint_sha256 == pki.root_fingerprint
    assert TrustAnchor.objects.timestamping().get().fingerprint_sha256 == fingerprint(pki.timestamping.root)
    # One current CRL for the signing root and one for the TSA root, however often it runs.
    assert RevocationList.objects.filter(is_current=True).count() == 2
    signed = pki.sign_cms(SAMPLE_XML, "representative")
    assert verify_cms(signed, SAMPLE_XML, trust.verification_policy()).passed
    stamped = pki.sign_cms(SAMPLE_XML, "representative", tsa=pki.timestamping)
    report = verify_cms(stamped, SAMPLE_XML, trust.verification_policy())
    assert report.passed, report.detail
    assert report.timestamps[0]["revocation"]["status"] == "good"


def test_the_testpki_command_initialises_issues_revokes_and_signs(settings, tmp_path) -> None:
    directory = tmp_path / "pki"
    out = StringIO()
    call_command("testpki", "--dir", str(directory), "init", stdout=out)
    with pytest.raises(CommandError, match="には既にテスト用 PKI があります（置き換えるには --force）。"):
        call_command("testpki", "--dir", str(directory), "init", stdout=out)
    call_command(
        "testpki",
        "--dir",
        str(directory),
        "issue",
        "clerk",
        "--name",
        "事務 一郎",
        "--address",
        "東京都港区1番",
        stdout=out,
    )
    call_command("testpki", "--dir", str(directory), "revoke", "clerk", stdout=out)
    xml = tmp_path / "d.xml"
    xml.write_bytes(SAMPLE_XML)
    call_command(
        "testpki", "--dir", str(directory), "sign", "clerk", str(xml), "--out", str(tmp_path / "s.xml"), stdout=out
    )
    call_command("testpki", "--dir", str(directory), "crl", "--out", str(tmp_path / "c.crl"), stdout=out)
    pki = TestPKI.load(directory)
    assert "clerk" in pki.personas
    assert pki["clerk"].serial in pki.revoked
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="テスト用 PKI は本番環境では決して使いません。"):
        call_command("testpki", "--dir", str(directory), "crl", "--out", str(tmp_path / "c2.crl"), stdout=out)


def test_only_a_staff_member_whose_role_allows_it_imports_a_crl(test_pki, anchor) -> None:
    auditor = make_staff("auditor", "aud@staff.example.jp")
    with pytest.raises(trust.TrustError) as excinfo:
        trust.import_crl(test_pki.crl(), actor=auditor)
    assert excinfo.value.code == "not_permitted"
    assert not RevocationList.objects.exists()
    assert AuditEvent.objects.filter(event_type="delegations.crl.import_refused", actor_id=str(auditor.pk)).exists()


def test_the_crl_command_records_a_file_it_cannot_read(test_pki, anchor, tmp_path, monkeypatch, time_machine) -> None:
    """A missing file and a directory: refused in Japanese, imported nothing, and on the record as
    the import's refusal by whoever ran the command (the system, or the staff member of --as)."""
    from delegations.tests.test_trust_anchors import code_for
    from mynatrust.models import User

    time_machine.move_to("2026-12-06 12:00:00+00:00", tick=False)
    operator = User.objects.get(email="op1@staff.example.jp")
    for path, staff in ((tmp_path / "missing.crl", False), (tmp_path, False), (tmp_path / "missing.crl", True)):
        time_machine.shift(30)  # a code is accepted once: the next one
        extra = ["--as", operator.email] if staff else []
        monkeypatch.setenv("MYNATRUST_OTP_CODE", code_for(operator))
        before = set(
            AuditEvent.objects.filter(event_type="delegations.crl.import_refused").values_list("pk", flat=True)
        )
        with pytest.raises(CommandError, match=r"^拒否しました：ファイルを読めません："):
            call_command("crl", "import", str(path), *extra, stdout=StringIO())
        [refused] = AuditEvent.objects.filter(event_type="delegations.crl.import_refused").exclude(pk__in=before)
        assert refused.data["code"] == "unreadable" and refused.data["reason"].startswith("ファイルを読めません：")
        assert refused.data["entry_point"]["command"] == "crl import"
        assert (refused.actor_kind, refused.actor_id) == (
            ("staff", str(operator.pk)) if staff else ("system", "system")
        )
    assert not RevocationList.objects.exists()
