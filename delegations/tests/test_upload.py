"""Bad input at upload: each one refused with a clear Japanese message, nothing stored,
and a refusal in the audit log."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from lxml import etree

from delegations import services
from delegations.models import Delegation, SignedFile
from delegations.services import DelegationError
from delegations.signatures.testpki import PersonaSpec
from delegations.tests.lifecycle import REPRESENTATIVE, events, make_finalised, signed_pair

pytestmark = pytest.mark.django_db

DS = "{http://www.w3.org/2000/09/xmldsig#}"
NS = "{urn:mynatrust:delegation:1}"


def _pdf_changed_after_signing(signed: bytes) -> bytes:
    # A later revision that changes the document (here its language) after the signature.
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(signed))
    writer.root["/Lang"] = generic.TextStringObject("en")
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _pdf_byte_flipped(signed: bytes) -> bytes:
    i = signed.find(b"stream", 200) + 20
    return signed[:i] + bytes([signed[i] ^ 1]) + signed[i + 1 :]


def _xml_wrapped(signed: bytes) -> bytes:
    # Classic wrapping: the signed original hides in ds:Object, the visible document says something else.
    root = etree.fromstring(signed)
    original = etree.fromstring(signed)
    signature = root.find(f"{DS}Signature")
    assert signature is not None
    etree.SubElement(signature, f"{DS}Object").append(original.find(f"{NS}powers"))
    powers = root.find(f"{NS}powers")
    assert powers is not None
    powers.text = "不動産の売却に関する一切の権限"
    return etree.tostring(root)


def _xml_with_entities(signed: bytes, doctype: bytes) -> bytes:
    body = signed.split(b"?>", 1)[1] if signed.startswith(b"<?xml") else signed
    return b'<?xml version="1.0" encoding="UTF-8"?>' + doctype + body


XXE = b'<!DOCTYPE delegation [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
LAUGHS = b'<!DOCTYPE delegation [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'


def _not_yet_valid(pki: Any, delegation: Delegation) -> bytes:
    name, address = REPRESENTATIVE
    spec = PersonaSpec("future", "未来", name=name.replace(" ", "\u3000"), address=address)
    pki.issue(spec, now=datetime.now(UTC) + timedelta(days=60))
    return pki.sign_pdf(bytes(delegation.pdf or b""), "future")


# (case, build(pki, delegation) -> (bytes, content), words the message must contain)
Build = Callable[[Any, Delegation], bytes]
CASES: list[tuple[str, Build, str]] = [
    ("unsigned_file", lambda pki, d: bytes(d.pdf or b""), "署名が見つかりません"),
    ("untrusted_root", lambda pki, d: pki.sign_pdf(bytes(d.pdf or b""), "untrusted"), "J-LIS"),
    ("expired_certificate", lambda pki, d: pki.sign_pdf(bytes(d.pdf or b""), "expired"), "有効期限が切れています"),
    ("not_yet_valid_certificate", _not_yet_valid, "まだ有効期間が始まっていません"),
    ("revoked_certificate", lambda pki, d: pki.sign_pdf(bytes(d.pdf or b""), "revoked"), "失効しています"),
    (
        "authentication_certificate",
        lambda pki, d: pki.sign_pdf(bytes(d.pdf or b""), "authentication"),
        "署名用電子証明書による署名ではありません",
    ),
    (
        "pdf_modified_after_signing",
        lambda pki, d: _pdf_changed_after_signing(pki.sign_pdf(bytes(d.pdf or b""), "representative")),
        "署名",
    ),
    (
        "pdf_byte_changed_after_signing",
        lambda pki, d: _pdf_byte_flipped(pki.sign_pdf(bytes(d.pdf or b""), "representative")),
        "変更されています",
    ),
    (
        "xml_signature_wrapping",
        lambda pki, d: _xml_wrapped(pki.sign_xml(bytes(d.xml or b""), "representative")),
        "署名",
    ),
    ("xxe", lambda pki, d: _xml_with_entities(pki.sign_xml(bytes(d.xml or b""), "representative"), XXE), "形式"),
    (
        "entity_expansion",
        lambda pki, d: _xml_with_entities(pki.sign_xml(bytes(d.xml or b""), "representative"), LAUGHS),
        "形式",
    ),
    (
        "truncated_file",
        lambda pki, d: (lambda s: s[: len(s) // 2])(pki.sign_pdf(bytes(d.pdf or b""), "representative")),
        "形式",
    ),
    (
        "representative_not_the_registered_one",
        lambda pki, d: pki.sign_pdf(bytes(d.pdf or b""), "agent"),
        "登録されている代表者と一致しません",
    ),
]


def _assert_refused(delegation: Delegation, data: bytes, words: str, *, member: Any, role: str = "principal") -> Any:
    status = Delegation.objects.get(pk=delegation.pk).status
    stored = list(SignedFile.objects.filter(delegation=delegation).values_list("pk", flat=True))
    before = len(events("delegations.signed_file.refused"))
    with pytest.raises(DelegationError) as exc:
        services.submit_signed_file(delegation, data, actor=member, role=role)
    message = " ".join([exc.value.message, *exc.value.details])
    assert words in message
    assert any("\u3040" <= ch <= "\u30ff" for ch in exc.value.message)  # Japanese, for people
    assert list(SignedFile.objects.filter(delegation=delegation).values_list("pk", flat=True)) == stored
    assert Delegation.objects.get(pk=delegation.pk).status == status
    refusals = events("delegations.signed_file.refused")
    assert len(refusals) == before + 1 and refusals[-1].data["refused"] is True
    return exc.value


@pytest.mark.parametrize(("case", "build", "words"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_refused_with_a_message_nothing_stored_and_an_audit_event(
    case: str, build: Build, words: str, subscriber: Any, member: Any, trusted_pki: Any
) -> None:
    delegation = make_finalised(subscriber, member)
    _assert_refused(delegation, build(trusted_pki, delegation), words, member=member)


def test_a_valid_signature_over_a_different_xml_is_the_wrong_document(subscriber, member, trusted_pki) -> None:
    mine = make_finalised(subscriber, member)
    other = make_finalised(subscriber, member, powers="別の権限")
    signed_other, _agent = signed_pair(other, trusted_pki)
    error = _assert_refused(mine, signed_other, "一致しません", member=member)
    assert error.code == "wrong_document"


def test_a_signed_file_for_another_subscribers_delegation_is_refused(
    subscriber, member, other_subscriber, other_member, trusted_pki
) -> None:
    theirs = make_finalised(other_subscriber, other_member)
    mine = make_finalised(subscriber, member)
    signed_theirs = trusted_pki.sign_pdf(bytes(theirs.pdf or b""), "representative")
    error = _assert_refused(mine, signed_theirs, "一致しません", member=member)
    assert error.code == "wrong_document"
    assert theirs.delegation_id not in error.message  # nothing about the other subscriber leaks


def test_the_right_file_uploaded_twice_is_stored_once(subscriber, member, trusted_pki) -> None:
    delegation = make_finalised(subscriber, member)
    principal, _agent = signed_pair(delegation, trusted_pki)
    services.submit_signed_file(delegation, principal, actor=member, role="principal")
    error = _assert_refused(delegation, principal, "既に受け付けています", member=member)
    assert error.code == "already_stored"
    assert SignedFile.objects.filter(delegation=delegation).count() == 1


def test_an_oversized_file_is_refused_before_verification(subscriber, member, trusted_pki, settings) -> None:
    delegation = make_finalised(subscriber, member)
    principal, _agent = signed_pair(delegation, trusted_pki)
    settings.MAX_UPLOAD_SIZE = len(principal) - 1
    error = _assert_refused(delegation, principal, "大きすぎます", member=member)
    assert error.code == "too_large"


def test_a_mismatch_shows_the_differing_parts(subscriber, member, trusted_pki) -> None:
    delegation = make_finalised(subscriber, member)
    error = _assert_refused(
        delegation, trusted_pki.sign_pdf(bytes(delegation.pdf or b""), "agent"), "証明書", member=member
    )
    assert error.code == "identity_mismatch"
    assert any("代表太郎" in d and "受任花子" in d for d in error.details)


def test_the_agent_must_be_the_agent_named_in_the_delegation(subscriber, member, trusted_pki) -> None:
    delegation = make_finalised(subscriber, member)
    wrong_agent = trusted_pki.sign_pdf(bytes(delegation.acceptance_pdf or b""), "representative")
    error = _assert_refused(delegation, wrong_agent, "受任者と一致しません", member=member, role="agent")
    assert error.code == "identity_mismatch"


def test_the_acceptance_must_name_this_delegation(subscriber, member, trusted_pki) -> None:
    delegation = make_finalised(subscriber, member)
    other = make_finalised(subscriber, member, powers="別の権限")
    _principal, other_acceptance = signed_pair(other, trusted_pki)
    error = _assert_refused(delegation, other_acceptance, "一致しません", member=member, role="agent")
    assert error.code == "wrong_document"


def test_a_refusal_is_mailed(subscriber, member, trusted_pki, mailoutbox, django_capture_on_commit_callbacks) -> None:
    delegation = make_finalised(subscriber, member)
    with pytest.raises(DelegationError), django_capture_on_commit_callbacks(execute=True):
        services.submit_signed_file(delegation, bytes(delegation.pdf or b""), actor=member, role="principal")
    assert len(mailoutbox) == 1 and "受け付けられませんでした" in mailoutbox[0].subject


def test_a_later_signature_on_the_signed_pdf_is_accepted_but_a_later_change_is_not(
    subscriber, member, trusted_pki
) -> None:
    delegation = make_finalised(subscriber, member)
    signed = trusted_pki.sign_pdf(bytes(delegation.pdf or b""), "representative")
    cosigned = trusted_pki.sign_pdf(signed, "substitute")
    stored = services.submit_signed_file(delegation, cosigned, actor=member, role="principal").signed_file
    assert stored.signer_name == "代表\u3000太郎" and stored.report["signature_count"] == 2
    other = make_finalised(subscriber, member)
    changed = _pdf_changed_after_signing(trusted_pki.sign_pdf(bytes(other.pdf or b""), "representative"))
    _assert_refused(other, trusted_pki.sign_pdf(changed, "substitute"), "署名", member=member)
