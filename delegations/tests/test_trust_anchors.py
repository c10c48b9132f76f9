"""Trust anchors in the database: 4-eyes additions and removals, audit events, admin, system check."""

from __future__ import annotations

from io import StringIO

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, transaction
from django.utils import translation

from audit.models import AuditEvent
from conftest import decide, make_staff, otp_login
from delegations import trust
from delegations.checks import test_pki_not_trusted_in_production as e001_check
from delegations.models import AnchorChange, TrustAnchor

pytestmark = pytest.mark.django_db


@pytest.fixture
def operators():
    return make_staff("service_operator", "op1@staff.example.jp"), make_staff(
        "service_operator", "op2@staff.example.jp"
    )


def events(kind: str, *actors) -> list[AuditEvent]:
    """Events of ``kind``, by ``actors`` when given. A refusal inside a service is committed through
    a second connection and outlives the test's own transaction, so counts are taken per actor."""
    found = AuditEvent.objects.filter(event_type=kind)
    if actors:
        found = found.filter(actor_id__in=[str(a.pk) for a in actors])
    return list(found)


def test_an_anchor_is_trusted_only_after_a_second_staff_member_approves(test_pki, operators) -> None:
    first, second = operators
    change = trust.request_anchor_addition(test_pki.root_der, actor=first, reason="generation 03")
    assert change.anchor.status == TrustAnchor.Status.ADDITION_PENDING
    assert trust.verification_policy().trust_anchors == ()
    with pytest.raises(trust.TrustError) as excinfo:
        trust.approve_anchor_change(change, actor=first)
    assert excinfo.value.code == "four_eyes"
    trust.approve_anchor_change(change, actor=second)
    change.anchor.refresh_from_db()
    assert change.anchor.status == TrustAnchor.Status.ACTIVE
    assert trust.verification_policy().trust_anchors == (test_pki.root_der,)
    assert events("delegations.trust_anchor.addition_requested")
    assert events("delegations.trust_anchor.approve_refused")
    assert events("delegations.trust_anchor.add_approved")


def test_the_database_refuses_a_self_approval_too(test_pki, operators) -> None:
    first, _second = operators
    change = trust.request_anchor_addition(test_pki.root_der, actor=first)
    with pytest.raises(IntegrityError), transaction.atomic():
        AnchorChange.objects.filter(pk=change.pk).update(decided_by=first)


def test_removal_also_needs_a_second_person_and_the_anchor_stays_trusted_meanwhile(test_pki, operators) -> None:
    first, second = operators
    trust.approve_anchor_change(trust.request_anchor_addition(test_pki.root_der, actor=first), actor=second)
    anchor = TrustAnchor.objects.get()
    removal = trust.request_anchor_removal(anchor, actor=second, reason="compromised")
    assert trust.verification_policy().trust_anchors == (test_pki.root_der,)
    with pytest.raises(trust.TrustError):
        trust.approve_anchor_change(removal, actor=second)
    trust.approve_anchor_change(removal, actor=first)
    assert trust.verification_policy().trust_anchors == ()
    assert events("delegations.trust_anchor.remove_approved")


def test_a_rejected_addition_is_never_trusted(test_pki, operators) -> None:
    first, second = operators
    trust.reject_anchor_change(trust.request_anchor_addition(test_pki.root_der, actor=first), actor=second)
    assert TrustAnchor.objects.get().status == TrustAnchor.Status.REJECTED
    assert trust.verification_policy().trust_anchors == ()


def test_it_refuses_an_end_entity_certificate_as_an_anchor_and_records_the_refusal(test_pki, operators) -> None:
    with pytest.raises(trust.TrustError) as excinfo:
        trust.request_anchor_addition(test_pki["representative"].cert_der, actor=operators[0])
    assert excinfo.value.code == "not_a_root"
    assert events("delegations.trust_anchor.add_refused")


def test_an_anchor_shows_whether_it_matches_the_jlis_fingerprints(test_pki, operators, settings) -> None:
    change = trust.request_anchor_addition(test_pki.root_der, actor=operators[0])
    assert change.anchor.matches_jlis is False
    settings.JLIS_SIGN_CA_FINGERPRINTS = [test_pki.root_fingerprint]
    assert change.anchor.matches_jlis is True
    assert change.anchor.subject.startswith("OU=Japan Agency")


def code_for(user) -> str:
    """The current code of ``user``'s authenticator. A code is accepted once: a second command by
    the same person needs the next one (the tests move the clock on a step)."""
    import time

    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.get(user=user, confirmed=True)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():0{device.digits}d}"


def test_the_trust_command_follows_the_same_four_eyes_rule(
    test_pki, operators, tmp_path, monkeypatch, time_machine
) -> None:
    time_machine.move_to("2026-12-06 12:00:00+00:00", tick=False)
    first, second = operators
    root = tmp_path / "root.pem"
    root.write_bytes(test_pki.root.public_bytes(Encoding.PEM))
    out = StringIO()
    monkeypatch.setenv("MYNATRUST_OTP_CODE", code_for(first))
    call_command("trust", "add", str(root), "--as", "op1@staff.example.jp", "--dry-run", stdout=out)
    assert "J-LIS の公表する指紋との一致：一致しません" in out.getvalue()
    assert not TrustAnchor.objects.exists()
    time_machine.shift(30)
    monkeypatch.setenv("MYNATRUST_OTP_CODE", code_for(first))
    call_command("trust", "add", str(root), "--as", "op1@staff.example.jp", stdout=out)
    change = AnchorChange.objects.get()
    time_machine.shift(30)
    monkeypatch.setenv("MYNATRUST_OTP_CODE", code_for(first))
    with pytest.raises(CommandError, match="拒否しました：申請した本人は承認・却下できません。"):
        call_command("trust", "approve", str(change.pk), "--as", "op1@staff.example.jp", stdout=out)
    monkeypatch.setenv("MYNATRUST_OTP_CODE", code_for(second))
    call_command("trust", "approve", str(change.pk), "--as", "op2@staff.example.jp", stdout=out)
    out = StringIO()
    call_command("trust", "list", stdout=out)
    assert "トラストアンカー 1 件、承認待ちの変更 0 件" in out.getvalue()
    assert "署名用電子証明書の認証局／有効／テスト用 PKI／" in out.getvalue()
    # Every event of the commands says where it came from.
    approved = AuditEvent.objects.get(event_type="delegations.trust_anchor.add_approved")
    assert approved.data["entry_point"]["entry"] == "cli"
    assert approved.data["entry_point"]["command"] == "trust approve"
    assert approved.data["entry_point"]["host"] and approved.data["entry_point"]["os_user"]
    assert approved.user_agent == "manage.py trust approve"


def test_check_deploy_fails_when_the_test_pki_root_is_trusted_in_production(test_pki, operators, settings) -> None:
    trust.approve_anchor_change(
        trust.request_anchor_addition(test_pki.root_der, actor=operators[0]), actor=operators[1]
    )
    assert e001_check() == []  # not production
    settings.PRODUCTION = True
    [error] = e001_check()
    assert error.id == "delegations.E001"
    fingerprint = TrustAnchor.objects.get().fingerprint_sha256
    assert error.msg == "本番環境でテスト用 PKI のルート証明書が信頼されています。"
    assert error.hint == f"manage.py trust remove {fingerprint} でこのトラストアンカーの削除を申請してください。"
    with translation.override("en"):
        [error] = e001_check()
    assert error.hint == f"Request the removal of this trust anchor with manage.py trust remove {fingerprint}."


def test_production_refuses_to_even_request_the_test_root(test_pki, operators, settings) -> None:
    settings.PRODUCTION = True
    with pytest.raises(trust.TrustError) as excinfo:
        trust.request_anchor_addition(test_pki.root_der, actor=operators[0])
    assert excinfo.value.code == "test_pki_in_production"


def test_the_operator_adds_an_anchor_in_the_admin_and_another_approves_it(client, test_pki, operators) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    first, second = operators
    otp_login(client, first)
    upload = SimpleUploadedFile("root.pem", test_pki.root.public_bytes(Encoding.PEM))
    response = client.post(
        "/staff-admin/delegations/trustanchor/add/", {"label": "gen03", "file": upload, "reason": "new generation"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    change = AnchorChange.objects.get()
    approve = f"/staff-admin/delegations/anchorchange/{change.pk}/decide/approve/"
    decide(client, approve)
    change.refresh_from_db()
    assert change.decision == AnchorChange.Decision.PENDING  # own request: refused
    client.logout()
    otp_login(client, second)
    decide(client, approve)
    change.refresh_from_db()
    assert change.decision == AnchorChange.Decision.APPROVED
    page = client.get("/staff-admin/delegations/trustanchor/")
    assert test_pki.root_fingerprint in page.content.decode()


def test_roles_without_the_permission_cannot_reach_the_trust_admin(client) -> None:
    reception = make_staff("reception", "rc@staff.example.jp")
    otp_login(client, reception)
    assert client.get("/staff-admin/delegations/trustanchor/add/").status_code == 403


def test_the_service_operator_group_holds_the_trust_permissions_after_migrate() -> None:
    from django.contrib.auth.models import Group

    perms = {
        f"{p.content_type.app_label}.{p.codename}"
        for p in Group.objects.get(name="service_operator").permissions.select_related("content_type")
    }
    assert {
        "delegations.add_trustanchor",
        "delegations.approve_anchorchange",
        "delegations.add_revocationlist",
    } <= perms
    auditor = {p.codename for p in Group.objects.get(name="auditor").permissions.all()}
    assert "view_trustanchor" in auditor
    assert "add_trustanchor" not in auditor


@pytest.mark.parametrize(
    ("values", "ok"),
    [
        ({"SIGNATURE_REVOCATION_SOURCE": "crl"}, True),
        ({"SIGNATURE_REVOCATION_SOURCE": "none"}, False),
        ({"SIGNATURE_REVOCATION_SOURCE": "ocsp", "SIGNATURE_OCSP_URL": ""}, False),
        ({"SIGNATURE_REVOCATION_SOURCE": "ocsp", "SIGNATURE_OCSP_URL": "http://127.0.0.1:1/"}, True),
        ({"SIGNATURE_REVOCATION_SOURCE": "provider", "SIGNATURE_PROVIDER_URL": "http://x/"}, False),
    ],
)
def test_a_misconfigured_revocation_source_is_a_system_error(values, ok, settings) -> None:
    from delegations.checks import revocation_source_configured

    for key, value in values.items():
        setattr(settings, key, value)
    assert (revocation_source_configured() == []) is ok


def test_the_operator_imports_a_crl_in_the_admin_and_a_refusal_is_audited(client, test_pki, operators) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from delegations.models import RevocationList

    first, second = operators
    trust.approve_anchor_change(trust.request_anchor_addition(test_pki.root_der, actor=first), actor=second)
    otp_login(client, first)
    bad = SimpleUploadedFile("bad.crl", test_pki.crl(signer="lookalike"))
    response = client.post("/staff-admin/delegations/revocationlist/add/", {"file": bad})
    assert response.status_code == 302
    assert not RevocationList.objects.exists()
    assert events("delegations.crl.import_refused")
    good = SimpleUploadedFile("good.crl", test_pki.crl())
    response = client.post("/staff-admin/delegations/revocationlist/add/", {"file": good})
    assert response.status_code == 302
    assert RevocationList.objects.get().imported_by == first
    assert client.get("/staff-admin/delegations/revocationlist/").status_code == 200


def test_an_end_entity_certificate_uploaded_in_the_admin_is_refused_and_audited(client, test_pki, operators) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    otp_login(client, operators[0])
    upload = SimpleUploadedFile("ee.cer", test_pki["representative"].cert_der)
    response = client.post("/staff-admin/delegations/trustanchor/add/", {"label": "x", "file": upload}, follow=True)
    assert "自己署名の CA 証明書ではない" in response.content.decode()
    assert not TrustAnchor.objects.exists()
    assert events("delegations.trust_anchor.add_refused")
    assert client.get("/staff-admin/delegations/trustanchor/add/").status_code == 200


def test_the_trust_command_records_the_refusals_it_finds_before_the_service(
    test_pki, operators, tmp_path, monkeypatch, time_machine
) -> None:
    """An unknown anchor or change, an unreadable file, a certificate that is no root: refused in
    Japanese by their reason, never their code, and on the record like the service's own refusals."""
    time_machine.move_to("2026-12-06 12:00:00+00:00", tick=False)
    first, _second = operators
    leaf = tmp_path / "leaf.der"
    leaf.write_bytes(test_pki.personas["representative"].cert.public_bytes(Encoding.DER))
    cases = [
        (["remove", "AB" * 32], "remove", "no_such_anchor", "指紋 " + "AB" * 32 + " のトラストアンカーはありません。"),
        (["approve", "999"], "approve", "no_such_change", "変更 #999 はありません。"),
        (["add", str(tmp_path / "missing.pem")], "add", "unreadable", "ファイルを読めません："),
        (["add", str(leaf)], "add", "not_a_root", "自己署名の CA 証明書ではないため"),
    ]
    for args, verb, code, reason in cases:
        time_machine.shift(30)
        monkeypatch.setenv("MYNATRUST_OTP_CODE", code_for(first))
        with pytest.raises(CommandError, match=f"^拒否しました：{reason}"):
            call_command("trust", *args, "--as", "op1@staff.example.jp", stdout=StringIO())
        [refused] = [e for e in events(f"delegations.trust_anchor.{verb}_refused", first) if e.data["code"] == code]
        assert refused.data["entry_point"]["command"] == f"trust {verb}" and refused.data["reason"].startswith(reason)
    assert not TrustAnchor.objects.exists() and not AnchorChange.objects.exists()


def test_the_command_line_cannot_act_as_a_staff_member_without_their_code(test_pki, operators, tmp_path, monkeypatch):
    """Naming two staff members was enough to make a root trusted, credited to people who never acted."""
    first, _second = operators
    root = tmp_path / "root.pem"
    root.write_bytes(test_pki.root.public_bytes(Encoding.PEM))
    for code in ("", "000000", "12345x"):
        monkeypatch.setenv("MYNATRUST_OTP_CODE", code)
        monkeypatch.setattr("getpass.getpass", lambda prompt="": "")
        with pytest.raises(CommandError, match="認証アプリのコードが違う"):
            call_command("trust", "add", str(root), "--as", "op1@staff.example.jp", stdout=StringIO())
    assert not TrustAnchor.objects.exists()
    refused = AuditEvent.objects.filter(event_type="auth.cli_refused", actor_id=str(first.pk))
    assert refused.count() == 3
    assert {e.data["entry_point"]["entry"] for e in refused} == {"cli"}
    # A code is good once: replaying it is refused.
    code = code_for(first)
    monkeypatch.setenv("MYNATRUST_OTP_CODE", code)
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.filter(user=first).update(throttling_failure_count=0, throttling_failure_timestamp=None)
    call_command("trust", "add", str(root), "--as", "op1@staff.example.jp", stdout=StringIO())
    change = AnchorChange.objects.get()
    with pytest.raises(CommandError, match="認証アプリのコードが違う"):
        call_command("trust", "remove", change.anchor.fingerprint_sha256, "--as", "op1@staff.example.jp")


@pytest.mark.parametrize("role", ["maintenance", "auditor", "reception", "service_manager", "service_administrator"])
def test_a_staff_member_whose_role_does_not_allow_it_cannot_touch_trust_anchors(test_pki, operators, role):
    other = make_staff(role, f"{role}@staff.example.jp")
    with pytest.raises(trust.TrustError) as excinfo:
        trust.request_anchor_addition(test_pki.root_der, actor=other)
    assert excinfo.value.code == "not_permitted"
    change = trust.request_anchor_addition(test_pki.root_der, actor=operators[0])
    if role != "service_manager":  # the service manager decides an operator's change (§7.2.1)
        for decide in (trust.approve_anchor_change, trust.reject_anchor_change):
            with pytest.raises(trust.TrustError) as excinfo:
                decide(change, actor=other)
            assert excinfo.value.code == "not_permitted"
        assert len(events("delegations.trust_anchor.approve_refused", other)) == 1
    trust.approve_anchor_change(change, actor=operators[1])
    with pytest.raises(trust.TrustError) as excinfo:
        trust.request_anchor_removal(TrustAnchor.objects.get(), actor=other)
    assert excinfo.value.code == "not_permitted"
    assert TrustAnchor.objects.get().status == TrustAnchor.Status.ACTIVE
    assert len(events("delegations.trust_anchor.add_refused", other)) == 1
    assert len(events("delegations.trust_anchor.remove_refused", other)) == 1


def test_a_dismissed_staff_member_cannot_act_either(test_pki, operators):
    first, second = operators
    change = trust.request_anchor_addition(test_pki.root_der, actor=first)
    second.is_active = False
    second.save(update_fields=["is_active"])
    with pytest.raises(trust.TrustError, match="権限"):
        trust.approve_anchor_change(change, actor=second)


def test_every_refused_trust_change_is_on_the_record_once(test_pki, operators) -> None:
    """Refusals found inside the transaction (a duplicate, an anchor not active, a change already
    decided) are recorded after the rollback, like those found before it; none twice."""
    first, second = operators
    change = trust.request_anchor_addition(test_pki.root_der, actor=first)
    with pytest.raises(trust.TrustError) as duplicate:
        trust.request_anchor_addition(test_pki.root_der, actor=second)
    assert duplicate.value.code == "duplicate"
    with pytest.raises(trust.TrustError) as not_active:
        trust.request_anchor_removal(change.anchor, actor=second)
    assert not_active.value.code == "not_active"
    trust.approve_anchor_change(change, actor=second)
    with pytest.raises(trust.TrustError) as decided:
        trust.reject_anchor_change(change, actor=second)
    assert decided.value.code == "already_decided"

    def codes(kind: str) -> list[str]:
        return [str(e.data["code"]) for e in events(kind, first, second)]

    assert codes("delegations.trust_anchor.add_refused") == ["duplicate"]
    assert codes("delegations.trust_anchor.remove_refused") == ["not_active"]
    assert codes("delegations.trust_anchor.reject_refused") == ["already_decided"]
    assert all(e.data["refused"] is True for e in events("delegations.trust_anchor.add_refused", first, second))
