import datetime as dt
import shutil
import subprocess
import zlib
from io import BytesIO

import pytest
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from delegations.document import acceptance, acceptance_pdf, delegation_pdf, delegation_xml, embedded_files
from delegations.document.errors import DocumentError
from delegations.document.samples import SOLE_PROPRIETOR, TAX_ACCOUNTANT, long_powers, sample_delegation

pdftotext = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils")


def page_text(pdf: bytes) -> str:
    result = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True)  # noqa: S607
    return result.stdout.decode()


def pages(pdf: bytes) -> list:
    return PdfFileReader(BytesIO(pdf)).root["/Pages"]["/Kids"]


def test_the_pdf_is_a4_and_carries_exactly_the_canonical_xml():
    content = sample_delegation()
    pdf = delegation_pdf.render_pdf(content)
    assert pdf.startswith(b"%PDF-1.")
    media_box = [round(float(v)) for v in pages(pdf)[0]["/MediaBox"]]
    assert media_box == [0, 0, 595, 842]
    assert delegation_pdf.extract_xml(pdf) == delegation_xml.to_xml(content)


def test_the_same_content_gives_the_same_pdf():
    import time_machine

    first = delegation_pdf.render_pdf(sample_delegation())
    with time_machine.travel(dt.datetime(2031, 5, 6, 7, 8, 9, tzinfo=dt.UTC)):
        later = delegation_pdf.render_pdf(sample_delegation())  # another second, another year
    assert first == later


@pdftotext
@pytest.mark.parametrize(
    "content",
    [
        # a corporation and an employee
        sample_delegation(),
        # a sole proprietor and a qualified agent
        sample_delegation(principal=SOLE_PROPRIETOR, agent=TAX_ACCOUNTANT, limitations=""),
    ],
)
def test_every_item_is_printed_in_japanese(content):
    text = "".join(page_text(delegation_pdf.render_pdf(content)).split())
    expected = [
        "電子委任状",
        content.delegation_id,
        "代理権の内容",
        "代理権の制限",
        "委任期間",
        "2026年（令和8年）12月1日から2027年（令和9年）11月30日まで",
        content.service.name.replace(" ", ""),
        content.service.policy_url,
        content.service.validity_url,
        content.agent.name.replace("　", ""),
        content.agent.address,
        content.agent.identifier,
        content.principal.business_address
        if content.principal is SOLE_PROPRIETOR
        else content.principal.head_office_address,
        delegation_xml.sha256_hex(delegation_xml.to_xml(content)),
        *("".join(line.split()) for line in content.powers.splitlines()),
    ]
    if content.agent is TAX_ACCOUNTANT:
        expected += ["税理士", "資格登録番号", "1975年（昭和50年）3月4日", "やまだ商店", "なし"]
    else:
        expected += ["法人番号", "5835678256246", "代表取締役", "社員番号", "".join(content.limitations.split())]
    missing = [item for item in expected if "".join(item.split()).replace("　", "") not in text.replace("　", "")]
    assert missing == []


@pdftotext
def test_long_powers_run_over_several_pages_without_losing_a_line():
    powers = long_powers(120)
    pdf = delegation_pdf.render_pdf(sample_delegation(powers=powers))
    assert len(pages(pdf)) >= 4
    text = "".join(page_text(pdf).split())
    assert all("".join(line.split()) in text for line in powers.splitlines())
    assert f"1/{len(pages(pdf))}ページ" in text


@pdftotext
def test_characters_outside_the_font_encoding_are_marked_and_the_xml_keeps_them():
    content = sample_delegation(limitations="𠮷野家との取引を除く。")
    pdf = delegation_pdf.render_pdf(content)
    text = page_text(pdf)
    assert "〓野家との取引を除く。" in text
    assert "表示できない文字" in "".join(text.split())
    assert "𠮷野家".encode() in delegation_pdf.extract_xml(pdf)


def self_signed(tmp_path):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test signer")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(True, True, False, False, False, True, True, False, False), critical=True)
        .sign(key, hashes.SHA256())
    )
    der_cert = asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))
    der_key = asn1_keys.PrivateKeyInfo.load(
        key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return signers.SimpleSigner(
        signing_cert=der_cert, signing_key=der_key, cert_registry=SimpleCertificateStore()
    ), der_cert


def sign(pdf: bytes, signer) -> bytes:
    output = BytesIO()
    signers.sign_pdf(
        IncrementalPdfFileWriter(BytesIO(pdf)),
        signers.PdfSignatureMetadata(field_name="Principal", subfilter=fields.SigSeedSubFilter.PADES),
        signer=signer,
        output=output,
    )
    return output.getvalue()


@pytest.mark.parametrize("render", [delegation_pdf.render_pdf, None])
def test_the_pdf_stays_signable_with_pades_and_the_signature_covers_the_attached_xml(tmp_path, render):
    content = sample_delegation()
    if render is None:
        document = acceptance.AcceptanceContent.for_delegation(
            content, delegation_xml.to_xml(content), issued_on=content.issued_on
        )
        pdf, extract, expected = (
            acceptance_pdf.render_pdf(document),
            acceptance_pdf.extract_xml,
            acceptance.to_xml(document),
        )
    else:
        pdf, extract, expected = render(content), delegation_pdf.extract_xml, delegation_xml.to_xml(content)
    signer, cert = self_signed(tmp_path)
    signed = sign(pdf, signer)
    assert signed.startswith(pdf)
    reader = PdfFileReader(BytesIO(signed))
    status = validate_pdf_signature(
        reader.embedded_signatures[0], ValidationContext(trust_roots=[cert], allow_fetching=False)
    )
    assert status.bottom_line
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    assert extract(signed) == expected


def pdf_with_attachments(*files: tuple[str, bytes]) -> bytes:
    pdf = delegation_pdf._layout(sample_delegation(), b"")
    for name, data in files:
        pdf = embedded_files.attach(pdf, data, filename=name, mime_type="application/xml", description="")
    return pdf


def flate_bomb() -> bytes:
    pdf = pdf_with_attachments(("delegation.xml", b"<x/>"))
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    spec = writer.root["/Names"]["/EmbeddedFiles"]["/Names"][1]
    bomb = generic.StreamObject({generic.pdf_name("/Filter"): generic.pdf_name("/FlateDecode")})
    bomb._encoded_data = zlib.compress(b"\0" * (embedded_files.MAX_EMBEDDED_BYTES * 4))
    spec["/EF"][generic.pdf_name("/F")] = writer.add_object(bomb)
    writer.update_container(spec)
    output = BytesIO()
    writer.write(output)
    return output.getvalue()


@pytest.mark.parametrize(
    ("make", "code"),
    [
        # not a PDF
        (lambda: b"<delegation/>", DocumentError.NOT_A_PDF),
        # a truncated PDF
        (lambda: delegation_pdf.render_pdf(sample_delegation())[:500], DocumentError.NOT_A_PDF),
        # a PDF without attachments
        (lambda: pdf_with_attachments(), DocumentError.NO_EMBEDDED_XML),
        # an attachment with another name only
        (lambda: pdf_with_attachments(("other.xml", b"<x/>")), DocumentError.NO_EMBEDDED_XML),
        # two attachments with the same name: which one was meant is not clear
        (
            lambda: pdf_with_attachments(("delegation.xml", b"<a/>"), ("delegation.xml", b"<b/>")),
            DocumentError.NO_EMBEDDED_XML,
        ),
        # a small stream that inflates past the limit
        (flate_bomb, DocumentError.TOO_LARGE),
    ],
)
def test_extraction_refuses_pdfs_without_exactly_one_bounded_xml(make, code):
    with pytest.raises(DocumentError) as caught:
        delegation_pdf.extract_xml(make())
    assert caught.value.code == code


@pdftotext
def test_the_acceptance_pdf_names_the_delegation_and_the_digest():
    content = sample_delegation()
    xml = delegation_xml.to_xml(content)
    document = acceptance.AcceptanceContent.for_delegation(content, xml, issued_on=content.issued_on)
    pdf = acceptance_pdf.render_pdf(document)
    text = "".join(page_text(pdf).split())
    assert "受諾書" in text
    assert content.delegation_id in text
    assert delegation_xml.sha256_hex(xml) in text
    assert acceptance_pdf.extract_xml(pdf) == acceptance.to_xml(document)


def test_the_pdf_stays_japanese_when_the_site_is_read_in_english():
    from django.utils import translation

    content = sample_delegation(agent=TAX_ACCOUNTANT)  # labels a qualification and an identifier kind
    with translation.override("ja"):
        japanese = delegation_pdf.render_pdf(content)
        acceptance_ja = acceptance_pdf.render_pdf(
            acceptance.AcceptanceContent.for_delegation(
                content, delegation_xml.to_xml(content), issued_on=content.issued_on
            )
        )
    with translation.override("en"):
        assert delegation_pdf.render_pdf(content) == japanese
        assert (
            acceptance_pdf.render_pdf(
                acceptance.AcceptanceContent.for_delegation(
                    content, delegation_xml.to_xml(content), issued_on=content.issued_on
                )
            )
            == acceptance_ja
        )
