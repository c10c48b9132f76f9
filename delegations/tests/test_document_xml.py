import datetime as dt
import hashlib

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree
from signxml import XMLSigner, XMLVerifier, methods

from delegations.document import acceptance, delegation_xml
from delegations.document.errors import DocumentError
from delegations.document.safe_xml import MAX_XML_BYTES, load_schema
from delegations.document.samples import SOLE_PROPRIETOR, TAX_ACCOUNTANT, sample_delegation

NS = "{urn:mynatrust:delegation:1}"


def test_the_xml_is_in_the_versioned_namespace_without_a_declaration():
    xml = delegation_xml.to_xml(sample_delegation())
    assert xml.startswith(b'<delegation xmlns="urn:mynatrust:delegation:1"><delegationId>7K3Q-9XWA-2M4P-HJ<')
    assert delegation_xml.NAMESPACE == "urn:mynatrust:delegation:1"


def test_the_same_content_gives_the_same_bytes():
    assert delegation_xml.to_xml(sample_delegation()) == delegation_xml.to_xml(sample_delegation())


@pytest.mark.parametrize("exclusive", [True, False])
def test_the_bytes_are_their_own_canonical_form(exclusive):
    xml = delegation_xml.to_xml(sample_delegation(powers="<&>\"'\t改行\n終わり"))
    assert etree.tostring(etree.fromstring(xml), method="c14n", exclusive=exclusive) == xml


def test_the_xml_has_one_element_per_item_of_table_4_1():
    root = etree.fromstring(delegation_xml.to_xml(sample_delegation()))
    names = [element.tag.removeprefix(NS) for element in root.iter() if isinstance(element.tag, str)]
    assert names == [
        "delegation",
        "delegationId",
        "issuedOn",
        "service",
        "name",
        "policyUrl",
        "validityUrl",
        "principal",
        "corporation",
        "corporateNumber",
        "name",
        "headOfficeAddress",
        "representativeTitle",
        "representativeName",
        "agent",
        "name",
        "title",
        "address",
        "identifier",
        "powers",
        "limitations",
        "period",
        "validFrom",
        "validUntil",
    ]
    assert root.findtext(f"{NS}service/{NS}validityUrl") == (
        "https://eloa.mynatrust.example.jp/api/v1/delegations/7K3Q-9XWA-2M4P-HJ/validity"
    )


@pytest.mark.parametrize(
    "content",
    [
        # a corporation and an employee
        sample_delegation(),
        # a sole proprietor and a tax accountant without a title, no limitations
        sample_delegation(principal=SOLE_PROPRIETOR, agent=TAX_ACCOUNTANT, limitations=""),
        # characters outside the BMP, markup characters and blank lines
        sample_delegation(powers="𠮷野家との取引 <a> & 'b'\n\n　字下げ\t", limitations="髙﨑"),
    ],
)
def test_it_validates_against_the_xsd_and_reads_back_to_the_same_content(content):
    xml = delegation_xml.to_xml(content)
    assert load_schema(delegation_xml.SCHEMA).validate(etree.fromstring(xml))
    assert delegation_xml.from_xml(xml) == content


xml_text = st.text(
    alphabet=st.characters(
        exclude_categories=["Cs"],
        exclude_characters=[chr(c) for c in range(0x20) if c not in (0x09, 0x0A)]
        + [chr(c) for c in range(0x7F, 0xA0)]
        + ["\ufffe", "\uffff"],
    ),
    max_size=200,
).filter(str.strip)


@given(xml_text, st.text(alphabet="あ<>&\n\r\t 𠮷a", max_size=50))
def test_any_powers_and_limitations_survive_the_round_trip(powers, limitations):
    content = sample_delegation(powers=powers, limitations=limitations)
    assert delegation_xml.from_xml(delegation_xml.to_xml(content)) == content


def test_the_digest_is_the_sha256_of_the_bytes():
    xml = delegation_xml.to_xml(sample_delegation())
    assert delegation_xml.sha256_hex(xml) == hashlib.sha256(xml).hexdigest()


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<delegation xmlns="urn:mynatrust:delegation:1">&lol2;</delegation>"""
XXE = b"""<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<delegation xmlns="urn:mynatrust:delegation:1">&xxe;</delegation>"""
EXTERNAL_DTD = b"""<!DOCTYPE delegation SYSTEM "http://127.0.0.1:9/evil.dtd"><delegation/>"""


@pytest.mark.parametrize(
    ("data", "code"),
    [
        # entity expansion
        (BILLION_LAUGHS, DocumentError.FORBIDDEN_CONSTRUCT),
        # an external entity reading a local file
        (XXE, DocumentError.FORBIDDEN_CONSTRUCT),
        # an external DTD on the network
        (EXTERNAL_DTD, DocumentError.FORBIDDEN_CONSTRUCT),
        # the same DOCTYPE in UTF-16, which a byte search does not see
        (
            XXE.replace(b'<?xml version="1.0"?>', b'<?xml version="1.0" encoding="UTF-16"?>').decode().encode("utf-16"),
            DocumentError.FORBIDDEN_CONSTRUCT,
        ),
        # more bytes than any delegation needs
        (b"<delegation>" + b" " * MAX_XML_BYTES + b"</delegation>", DocumentError.TOO_LARGE),
        # truncated
        (delegation_xml.to_xml(sample_delegation())[:-20], DocumentError.NOT_WELL_FORMED),
        # not XML at all
        (b"%PDF-1.7", DocumentError.NOT_WELL_FORMED),
        # another namespace
        (
            delegation_xml.to_xml(sample_delegation()).replace(b"delegation:1", b"delegation:2"),
            DocumentError.SCHEMA_INVALID,
        ),
        # an item missing
        (
            delegation_xml.to_xml(sample_delegation())
            .replace(b"<limitations>", b"<x>")
            .replace(b"</limitations>", b"</x>"),
            DocumentError.SCHEMA_INVALID,
        ),
        # a qualification that is not one of the eight
        (
            delegation_xml.to_xml(sample_delegation(agent=TAX_ACCOUNTANT)).replace(b"tax_accountant", b"doctor"),
            DocumentError.SCHEMA_INVALID,
        ),
        # valid by the schema, but the corporate number's check digit is wrong
        (
            delegation_xml.to_xml(sample_delegation()).replace(b"5835678256246", b"1835678256246"),
            DocumentError.INVALID_CONTENT,
        ),
        # an impossible date
        (
            delegation_xml.to_xml(sample_delegation()).replace(b"2027-11-30", b"2027-02-30"),
            DocumentError.SCHEMA_INVALID,
        ),
    ],
)
def test_it_refuses_hostile_or_wrong_xml(data, code):
    with pytest.raises(DocumentError) as caught:
        delegation_xml.from_xml(data)
    assert caught.value.code == code
    assert caught.value.message


def test_a_comment_or_pretty_printing_makes_it_not_canonical_but_still_readable():
    xml = delegation_xml.to_xml(sample_delegation())
    pretty = etree.tostring(etree.fromstring(xml), pretty_print=True, xml_declaration=True, encoding="UTF-8")
    with pytest.raises(DocumentError) as caught:
        delegation_xml.from_xml(pretty)
    assert caught.value.code == DocumentError.NOT_CANONICAL
    assert delegation_xml.from_xml(pretty, require_canonical=False) == sample_delegation()


def test_an_enveloped_signature_element_is_allowed_after_the_last_item():
    xml = delegation_xml.to_xml(sample_delegation())
    signed = xml.replace(
        b"</delegation>",
        b'<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo/></ds:Signature></delegation>',
    )
    assert delegation_xml.from_xml(signed, require_canonical=False) == sample_delegation()
    with pytest.raises(DocumentError):
        delegation_xml.from_xml(signed)


def test_the_acceptance_names_the_delegation_id_and_the_digest_of_its_xml():
    content = sample_delegation()
    xml = delegation_xml.to_xml(content)
    accepted = acceptance.AcceptanceContent.for_delegation(content, xml, issued_on=content.issued_on)
    acceptance_xml = acceptance.to_xml(accepted)
    root = etree.fromstring(acceptance_xml)
    ns = "{urn:mynatrust:acceptance:1}"
    assert root.findtext(f"{ns}delegationId") == content.delegation_id
    assert root.findtext(f"{ns}delegationDigest") == hashlib.sha256(xml).hexdigest()
    assert root.findtext(f"{ns}agentName") == "佐藤　一郎"
    assert root.findtext(f"{ns}statement") == acceptance.STATEMENT
    assert etree.tostring(root, method="c14n", exclusive=True) == acceptance_xml
    assert acceptance.from_xml(acceptance_xml) == accepted


@pytest.mark.parametrize(
    ("old", "new"),
    [
        # the fixed statement changed
        ("委任を受諾します".encode(), "委任を拒否します".encode()),
        # an upper-case digest
        (b'"sha-256">', b'"sha-256">X'),
        # another digest algorithm
        (b'algorithm="sha-256"', b'algorithm="md5"'),
    ],
)
def test_an_altered_acceptance_fails_the_schema(old, new):
    content = sample_delegation()
    xml = acceptance.to_xml(
        acceptance.AcceptanceContent.for_delegation(
            content, delegation_xml.to_xml(content), issued_on=content.issued_on
        )
    )
    assert old in xml
    with pytest.raises(DocumentError) as caught:
        acceptance.from_xml(xml.replace(old, new))
    assert caught.value.code == DocumentError.SCHEMA_INVALID


def test_after_an_enveloped_xml_signature_the_signed_element_canonicalises_to_the_generated_bytes():
    # The path the verifier takes for XMLDSig/XAdES: signxml returns the signed element without the
    # signature; its exclusive C14N must equal the generated XML byte for byte.
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test signer")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    xml = delegation_xml.to_xml(sample_delegation())
    signed = etree.tostring(XMLSigner(method=methods.enveloped).sign(etree.fromstring(xml), key=key, cert=[cert]))
    verified = XMLVerifier().verify(signed, x509_cert=cert, expect_references=1)
    assert not isinstance(verified, list)
    assert delegation_xml.canonicalise(verified.signed_xml) == xml
    assert delegation_xml.from_xml(signed, require_canonical=False) == sample_delegation()
