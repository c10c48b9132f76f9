"""One verification policy, built in delegations.trust, for the upload service and verify_signature alike."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.core.management import call_command

from delegations import services, trust
from delegations.document import acceptance
from delegations.signatures import signed_content_matches, verify
from delegations.tests.lifecycle import make_finalised

pytestmark = pytest.mark.django_db


def _run(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("verify_signature", *args, stdout=out, stderr=io.StringIO())
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue()
    return 0, out.getvalue()


def _file(tmp_path: Path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_the_policy_accepts_later_signatures_and_names_the_document(trusted_pki) -> None:
    policy = trust.verification_policy()
    assert policy.allow_later_signatures
    assert policy.embedded_xml_name == "delegation.xml"
    assert trust.verification_policy(document="acceptance").embedded_xml_name == acceptance.FILENAME
    with pytest.raises(ValueError):
        trust.verification_policy(document="other")


def test_a_co_signed_pdf_the_service_accepts_passes_the_command_too(subscriber, member, trusted_pki, tmp_path) -> None:
    delegation = make_finalised(subscriber, member)
    co_signed = trusted_pki.sign_pdf(trusted_pki.sign_pdf(bytes(delegation.pdf), "representative"), "agent")
    stored = services.submit_signed_file(delegation, co_signed, actor=member, role="principal")
    assert stored.signed_file.report["signature_count"] == 2
    code, out = _run(_file(tmp_path, "co-signed.pdf", co_signed))
    assert code == 0, out
    assert "適用したポリシー" in out
    assert "後続の署名：受け付ける" in out
    assert not re.search(r"[\u3000-\u30ff\u3400-\u9fff]: ", out), out


def test_the_command_checks_the_acceptance_with_the_acceptance_policy(subscriber, member, trusted_pki, tmp_path):
    delegation = make_finalised(subscriber, member)
    signed = trusted_pki.sign_pdf(bytes(delegation.acceptance_pdf), "agent")
    path = _file(tmp_path, "acceptance.pdf", signed)
    code, out = _run(path, "--document", "acceptance", "--content", _file(tmp_path, "a.xml", delegation.acceptance_xml))
    assert code == 0, out
    assert "--content と一致します" in out


@pytest.mark.parametrize("container", ["pades", "xmldsig", "xades"])
def test_content_is_compared_for_pdf_and_xml_and_a_difference_fails(
    container, subscriber, member, trusted_pki, tmp_path
) -> None:
    delegation = make_finalised(subscriber, member)
    xml = bytes(delegation.xml)
    if container == "pades":
        signed = trusted_pki.sign_pdf(bytes(delegation.pdf), "representative")
    else:
        signed = trusted_pki.sign_xml(xml, "representative", xades=container == "xades")
    path = _file(tmp_path, "signed.bin", signed)
    same = _file(tmp_path, "same.xml", xml)
    other = _file(tmp_path, "other.xml", xml.replace("物品購入".encode(), "不動産売却".encode()))
    code, out = _run(path, "--content", same)
    assert code == 0, out
    code, out = _run(path, "--content", other)
    assert code == 1, out
    assert "--content と一致しません" in out
    code, _ = _run(path, "--content", other, "--json")
    assert code == 1


def test_signed_content_matches_compares_canonical_xml(trusted_pki, subscriber, member) -> None:
    delegation = make_finalised(subscriber, member)
    xml = bytes(delegation.xml)
    report = verify(trusted_pki.sign_xml(xml, "representative"), trust.verification_policy())
    assert report.passed, report.detail
    assert signed_content_matches(report, xml)
    # The same document written differently (attribute quotes, an XML declaration) is the same content.
    assert signed_content_matches(report, b'<?xml version="1.0" encoding="UTF-8"?>\n' + xml.split(b"?>", 1)[-1])
    assert not signed_content_matches(report, b"<other/>")
    assert not signed_content_matches(report, b"not xml")
