"""Hostile files through the real upload views: the signed-file upload of a delegation, the registry
certificate of an application, and the recipient's file comparison. Each is refused with a clear
Japanese message, stores nothing (no row, no file) and, where a service refuses it, leaves a
``*.refused`` audit event."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from conftest import hidden_fields
from delegations.models import Delegation
from delegations.tests.lifecycle import make_finalised
from mynatrust.tests.hostile import corpus
from mynatrust.tests.hostile.helpers import (
    assert_clear_error,
    assert_field_refused,
    assert_refused_page,
    japanese,
    messages_of,
)
from registry.tests.conftest import FACTS

pytestmark = pytest.mark.django_db

REFUSED = "delegations.signed_file.refused"
# Files Django's form field turns away before the service sees them (an empty upload).
FORM_LEVEL = {"pdf_empty.pdf"}


def _upload(client: Any, delegation: Delegation, data: bytes, *, name: str = "signed.pdf", role: str = "principal"):
    url = f"/app/delegations/{delegation.public_id}/upload/{role}/"
    body, content_type = corpus.multipart({}, "file", name, data)
    return client.generic("POST", url, body, content_type=content_type)


def _assert_upload_refused(client: Any, snapshot: Any, delegation: Delegation, data: bytes, **kwargs: Any) -> str:
    snapshot.take()
    response = _upload(client, delegation, data, **kwargs)
    if response.status_code == 400:  # a multipart body Django's parser refuses (e.g. a header over 1 KB)
        assert_clear_error(response.content.decode())
        snapshot.assert_nothing_stored()
        return response.content.decode()
    assert response.status_code == 302, response.status_code
    errors = [m for m in messages_of(response) if "保存しました" not in m]
    assert errors, "no error message"
    for text in errors:
        assert_clear_error(text)
    snapshot.assert_nothing_stored()
    delegation.refresh_from_db()
    assert delegation.status == Delegation.Status.AWAITING_SIGNATURES
    return " ".join(errors)


# --- the corpus, as the principal's signed file ----------------------------------------------------
SIGNED_FILE_CORPUS = corpus.files("pdf_") + corpus.files("xml_") + corpus.files("cms_") + corpus.files("zip_")
SIGNED_FILE_CORPUS += corpus.files("png_")


@pytest.mark.parametrize("name", SIGNED_FILE_CORPUS)
def test_a_corpus_file_uploaded_as_a_signed_file_is_refused(
    name: str, signed_in_member: Any, subscriber: Any, member: Any, snapshot: Any
) -> None:
    delegation = make_finalised(subscriber, member)
    _assert_upload_refused(signed_in_member, snapshot, delegation, corpus.read(name), name=name)
    if name not in FORM_LEVEL:
        assert snapshot.new_events()[REFUSED] == 1


@pytest.mark.parametrize("name", sorted(corpus.GENERATED))
def test_a_generated_bomb_uploaded_as_a_signed_file_is_refused(
    name: str, signed_in_member: Any, subscriber: Any, member: Any, snapshot: Any
) -> None:
    delegation = make_finalised(subscriber, member)
    _assert_upload_refused(signed_in_member, snapshot, delegation, corpus.GENERATED[name](), name=name)
    assert snapshot.new_events()[REFUSED] == 1


# --- right document, wrong certificate ---------------------------------------------------------------
@contextmanager
def _self_signed(pki: Any) -> Iterator[str]:
    corpus.self_signed_persona(pki)
    try:
        yield "self_signed"
    finally:
        pki.personas.pop("self_signed", None)


WRONG_CERTIFICATES = {
    # persona: words the message must contain
    "untrusted": "J-LIS",
    "self_signed": "J-LIS",
    "expired": "有効期限が切れています",
    "revoked": "失効しています",
    "authentication": "署名用電子証明書による署名ではありません",
    "rsa1024": "",
    "sha1": "",
    "unknown_critical": "",
    "agent": "代表者と一致しません",
}


def _sign(pki: Any, delegation: Delegation, persona: str, container: str) -> bytes:
    if container == "pades":
        return bytes(pki.sign_pdf(bytes(delegation.pdf or b""), persona))
    if container == "xades":
        return bytes(pki.sign_xml(bytes(delegation.xml or b""), persona, xades=True))
    if container == "cms":
        return bytes(pki.sign_cms(bytes(delegation.xml or b""), persona))
    return bytes(pki.sign_xml(bytes(delegation.xml or b""), persona))


@pytest.mark.parametrize("container", ["pades", "xmldsig", "xades", "cms"])
@pytest.mark.parametrize("persona", sorted(WRONG_CERTIFICATES))
def test_the_right_document_signed_with_a_wrong_certificate_is_refused(
    persona: str, container: str, signed_in_member: Any, subscriber: Any, member: Any, trusted_pki: Any, snapshot: Any
) -> None:
    delegation = make_finalised(subscriber, member)
    if persona == "self_signed":
        with _self_signed(trusted_pki) as key:
            data = _sign(trusted_pki, delegation, key, container)
    else:
        data = _sign(trusted_pki, delegation, persona, container)
    text = _assert_upload_refused(signed_in_member, snapshot, delegation, data)
    assert WRONG_CERTIFICATES[persona] in text
    assert snapshot.new_events()[REFUSED] == 1


# --- signature wrapping and tampering ----------------------------------------------------------------
Tamper = Callable[[bytes, Any], bytes]
XML_TAMPERING: dict[str, Tamper] = {
    "signed_element_moved_into_object": lambda s, pki: corpus.wrap_moved(s),
    "signed_document_wrapped_in_new_root": lambda s, pki: corpus.wrap_in_new_root(s),
    "signature_duplicated": lambda s, pki: corpus.duplicated_signature(s),
    "reference_to_one_element_by_id": lambda s, pki: corpus.signature_reference_to_id(s),
    "xslt_transform_added": lambda s, pki: corpus.xslt_transform(s),
    "signed_element_edited": lambda s, pki: corpus.signed_element_edited(s),
    "certificate_swapped": corpus.foreign_certificate_in_key_info,
}


@pytest.mark.parametrize("xades", [False, True], ids=["xmldsig", "xades"])
@pytest.mark.parametrize("case", sorted(XML_TAMPERING))
def test_a_wrapped_or_tampered_xml_signature_is_refused(
    case: str, xades: bool, signed_in_member: Any, subscriber: Any, member: Any, trusted_pki: Any, snapshot: Any
) -> None:
    delegation = make_finalised(subscriber, member)
    persona = "agent" if case == "certificate_swapped" else "representative"
    signed = trusted_pki.sign_xml(bytes(delegation.xml or b""), persona, xades=xades)
    _assert_upload_refused(
        signed_in_member, snapshot, delegation, XML_TAMPERING[case](signed, trusted_pki), name="signed.xml"
    )
    assert snapshot.new_events()[REFUSED] == 1


def test_a_pdf_given_a_script_before_it_was_signed_is_refused(
    signed_in_member: Any, subscriber: Any, member: Any, trusted_pki: Any, snapshot: Any
) -> None:
    delegation = make_finalised(subscriber, member)
    scripted = corpus.pdf_with_javascript_before_signing(bytes(delegation.pdf or b""))
    text = _assert_upload_refused(
        signed_in_member, snapshot, delegation, trusted_pki.sign_pdf(scripted, "representative")
    )
    assert "スクリプト" in text
    assert snapshot.new_events()[REFUSED] == 1


# --- file names -----------------------------------------------------------------------------------------
FILE_NAMES = {
    "parent_traversal": "../../../../etc/passwd",
    "windows_traversal": "..\\..\\windows\\system32\\config\\sam",
    "absolute_posix": "/etc/cron.d/evil",
    "absolute_windows": "C:\\Windows\\evil.pdf",
    "nul_in_name": "signed.pdf\x00.exe",
    "very_long": "あ" * 2000 + ".pdf",
    "windows_reserved": "CON.pdf",
    "windows_reserved_com": "COM1",
    "control_characters": "sig\x1b[31mned\r\n.pdf",
    "bidi_override": "signed\u202efdp.exe",
    "only_dots": "..",
    "empty_after_cleaning": "/",
    "quote_and_header_injection": 'a.pdf"; name="content',
    "unpaired_surrogate": "signed\udc80.pdf",
}


@pytest.mark.parametrize("case", sorted(FILE_NAMES))
def test_a_path_trick_in_the_file_name_of_a_bad_file_stores_nothing(
    case: str, signed_in_member: Any, subscriber: Any, member: Any, snapshot: Any
) -> None:
    delegation = make_finalised(subscriber, member)
    _assert_upload_refused(
        signed_in_member, snapshot, delegation, corpus.read("pdf_truncated_half.pdf"), name=FILE_NAMES[case]
    )


@pytest.mark.parametrize("case", sorted(FILE_NAMES))
def test_a_path_trick_in_the_file_name_of_a_good_file_is_kept_only_as_a_plain_name(
    case: str, signed_in_member: Any, subscriber: Any, member: Any, trusted_pki: Any, snapshot: Any
) -> None:
    from delegations.models import SignedFile

    delegation = make_finalised(subscriber, member)
    signed = trusted_pki.sign_pdf(bytes(delegation.pdf or b""), "representative")
    snapshot.take()
    response = _upload(signed_in_member, delegation, signed, name=FILE_NAMES[case])
    if response.status_code == 400:  # a part header over Django's 1 KB limit: the whole body is refused
        assert_clear_error(response.content.decode())
        snapshot.assert_nothing_stored()
        return
    assert response.status_code == 302
    stored = SignedFile.objects.filter(delegation=delegation).first()
    if stored is None:  # a name the parser could not read: the upload is refused as missing
        assert messages_of(response) and all(japanese(m) for m in messages_of(response))
        snapshot.assert_nothing_stored()
        return
    # Kept as a label only (bytes live in the database), without separators or control characters.
    assert "/" not in stored.file_name and "\\" not in stored.file_name
    assert all(ch.isprintable() for ch in stored.file_name), repr(stored.file_name)
    assert len(stored.file_name) <= 255
    assert snapshot.changed_rows().keys() == {
        "delegations.signedfile",
        "mynatrust.mailannouncement",
        "mynatrust.outboxmessage",
    }
    snapshot.assert_nothing_stored(
        # the stored file, and the notice to its subscriber that it was stored (durable mail)
        allowing=("delegations.signedfile", "mynatrust.mailannouncement", "mynatrust.outboxmessage")
    )


# --- sizes and bodies ---------------------------------------------------------------------------------------
def test_an_upload_over_the_limit_is_a_413_before_anything_is_read(
    signed_in_member: Any, subscriber: Any, member: Any, snapshot: Any, settings: Any
) -> None:
    delegation = make_finalised(subscriber, member)
    settings.MAX_UPLOAD_SIZE = 64 * 1024
    snapshot.take()
    response = _upload(signed_in_member, delegation, b"%PDF-1.7\n" + b"0" * (128 * 1024))
    assert_refused_page(response, 413, snapshot)


def test_a_file_over_the_memory_limit_spills_to_disk_and_leaves_nothing_behind(
    signed_in_member: Any, subscriber: Any, member: Any, snapshot: Any, settings: Any
) -> None:
    delegation = make_finalised(subscriber, member)
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024
    _assert_upload_refused(signed_in_member, snapshot, delegation, corpus.huge_xml_text(512 * 1024), name="big.xml")


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/json",
        "multipart/form-data",
        "multipart/form-data; boundary=",
        "application/x-www-form-urlencoded",
    ],
)
def test_an_upload_with_a_bad_content_type_is_refused_cleanly(
    content_type: str, signed_in_member: Any, subscriber: Any, member: Any, snapshot: Any
) -> None:
    delegation = make_finalised(subscriber, member)
    url = reverse("delegations:upload", kwargs={"public_id": delegation.public_id, "role": "principal"})
    snapshot.take()
    response = signed_in_member.generic("POST", url, b"--x\r\nnot a form\r\n", content_type=content_type)
    assert response.status_code in (302, 400), response.status_code
    if response.status_code == 302:
        for text in messages_of(response):
            assert_clear_error(text)
    else:
        assert_clear_error(response.content.decode())
    snapshot.assert_nothing_stored()


@pytest.mark.parametrize("role", ["representative", "../principal", "principal%00", "PRINCIPAL"])
def test_an_unknown_role_in_the_upload_url_is_refused(
    role: str, signed_in_member: Any, subscriber: Any, member: Any, trusted_pki: Any, snapshot: Any
) -> None:
    delegation = make_finalised(subscriber, member)
    snapshot.take()
    response = _upload(
        signed_in_member, delegation, trusted_pki.sign_pdf(bytes(delegation.pdf or b""), "representative"), role=role
    )
    assert response.status_code in (400, 404)  # 400: a NUL in the path
    snapshot.assert_nothing_stored()


# --- registry certificate of an application -------------------------------------------------------------
def _application(evidence: Any) -> dict[str, Any]:
    from datetime import timedelta

    from django.utils import timezone

    from registry.tests.conftest import corporate_number

    values = {k: v for k, v in FACTS.items() if v is not None}
    return {
        **values,
        "kind": "corporation",
        "corporate_number": corporate_number(),
        "issued_on": (timezone.localdate() - timedelta(days=3)).isoformat(),
        "terms_accepted": "on",
        "antisocial_declared": "on",
        "evidence_file": evidence,
    }


# Well-formed enough to be a PDF and doing nothing when opened: stored as given, never decoded.
EVIDENCE_ACCEPTED = {"pdf_flate_bomb.pdf", "pdf_polyglot_zip.pdf"}
EVIDENCE_CORPUS = [
    name
    for name in corpus.files("pdf_") + corpus.files("zip_") + corpus.files("png_") + ["xml_xxe_file.xml"]
    if name not in EVIDENCE_ACCEPTED
]


@pytest.mark.parametrize("name", EVIDENCE_CORPUS)
def test_a_corpus_file_as_registry_evidence_is_refused_with_a_field_error(
    name: str, newcomer: Any, snapshot: Any
) -> None:
    snapshot.take()
    upload = SimpleUploadedFile(name, corpus.read(name), content_type="application/pdf")
    assert_field_refused(newcomer.post(reverse("registry:apply"), _application(upload)), "evidence_file", snapshot)


def test_a_registry_certificate_over_the_limit_is_refused_before_parsing(
    newcomer: Any, snapshot: Any, settings: Any
) -> None:
    settings.MAX_UPLOAD_SIZE = 32 * 1024
    snapshot.take()
    upload = SimpleUploadedFile("big.pdf", b"%PDF-1.7\n" + b"0" * (16 * 1024), content_type="application/pdf")
    settings.MAX_UPLOAD_SIZE = 8 * 1024  # the body fits the request limit of the middleware below
    response = newcomer.post(reverse("registry:apply"), _application(upload))
    assert_refused_page(response, 413, snapshot)


# --- the recipient's comparison file: hashed, never kept -------------------------------------------------
@pytest.mark.parametrize("name", ["xml_billion_laughs_small.xml", "pdf_javascript_openaction.pdf", "pdf_empty.pdf"])
def test_a_hostile_file_to_compare_is_only_hashed(
    name: str, approved_recipient: Any, snapshot: Any, settings: Any
) -> None:
    from mynatrust.lib import delegation_id as ids

    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 16
    snapshot.take()
    body, content_type = corpus.multipart({"delegation_id": ids.generate()}, "file", "../../" + name, corpus.read(name))
    response = approved_recipient.generic("POST", reverse("validity:check"), body, content_type=content_type)
    assert response.status_code in (200, 303, 400)
    # The kept result names the file and its digest; the file itself is kept nowhere.
    snapshot.assert_nothing_stored(allowing=("validity.checkresult",))


def _apply_with_file(client: Any, name: str, data: bytes) -> Any:
    fields = {k: v for k, v in _application(None).items() if k != "evidence_file"}
    body, content_type = corpus.multipart(fields, "evidence_file", name, data)
    entered = client.generic("POST", reverse("registry:apply"), body, content_type=content_type)
    if 'data-testid="submit-confirmed"' not in entered.content.decode():
        return entered
    # 入力 → 確認 → 完了: the confirmation page's final button, with the values it carries.
    return client.post(reverse("registry:apply"), hidden_fields(entered.content.decode()))


@pytest.mark.parametrize("name", sorted(EVIDENCE_ACCEPTED))
def test_a_quiet_but_odd_pdf_is_kept_byte_for_byte_and_never_decoded(name: str, newcomer: Any) -> None:
    import hashlib

    from registry.models import RegistryEvidence

    data = corpus.read(name)
    response = _apply_with_file(newcomer, name, data)
    assert response.status_code == 302, response.status_code
    evidence = RegistryEvidence.objects.get()
    assert bytes(evidence.content) == data and evidence.sha256 == hashlib.sha256(data).hexdigest()


# Names Django's multipart parser cannot turn into a file name (or a part header over its 1 KB limit).
UNREADABLE_NAMES = {"only_dots", "empty_after_cleaning", "very_long", "unpaired_surrogate"}


@pytest.mark.parametrize("case", sorted(FILE_NAMES))
def test_a_path_trick_in_the_name_of_registry_evidence_is_kept_only_as_a_plain_name(
    case: str, newcomer: Any, snapshot: Any
) -> None:
    from registry.models import RegistryEvidence
    from registry.tests.conftest import make_pdf

    snapshot.take()
    response = _apply_with_file(newcomer, FILE_NAMES[case], make_pdf())
    if case in UNREADABLE_NAMES:  # the evidence arrives without a file, or the body is refused
        assert response.status_code in (200, 400)
        snapshot.assert_nothing_stored()
        return
    assert response.status_code == 302, response.status_code
    name = RegistryEvidence.objects.get().file_name
    assert "/" not in name and "\\" not in name and "\x00" not in name
    assert all(ch.isprintable() for ch in name) and len(name) <= 255, repr(name)
    snapshot.assert_nothing_stored(
        allowing=(
            "registry.subscriber",
            "registry.subscriberfacts",
            "registry.registryevidence",
            "registry.membership",
            "registry.receptioncounter",  # the accepted application's 受付番号
            "mynatrust.mailannouncement",  # the notice that the application was received (durable mail)
            "mynatrust.outboxmessage",
        )
    )
