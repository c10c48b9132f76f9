"""The hostile corpus: small files kept in ``corpus/``, and builders for what is too large to keep
(entity bombs, deep trees, oversized bodies) or must be signed with the test PKI at test time.

File names say what each one is; the prefix says what it pretends to be (``pdf_``, ``xml_``,
``cms_``) and therefore which parser the service reaches with it."""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from lxml import etree

FOLDER = Path(__file__).parent / "corpus"
DS = "http://www.w3.org/2000/09/xmldsig#"


def multipart(fields: dict[str, str], file_field: str, file_name: str, data: bytes) -> tuple[bytes, str]:
    """A multipart body written by hand, so the file name reaches the server exactly as given
    (the test client's own upload objects refuse some of the names under test)."""
    boundary = "hostileBoundary7MA4YWxk"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    quoted = file_name.replace("\\", "\\\\").replace('"', '\\"')
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; filename="{quoted}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    )
    body = b"".join(parts) + head.encode("utf-8", "surrogatepass") + data + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def files(prefix: str = "") -> list[str]:
    return sorted(p.name for p in FOLDER.iterdir() if p.is_file() and p.name.startswith(prefix))


def read(name: str) -> bytes:
    return (FOLDER / name).read_bytes()


# --- built at test time: too large to keep in the repository -------------------------------------
def billion_laughs(levels: int = 30) -> bytes:
    entities = b'<!ENTITY l0 "lol">' + b"".join(
        b'<!ENTITY l%d "%s">' % (i, b"&l%d;" % (i - 1) * 10) for i in range(1, levels)
    )
    return b'<?xml version="1.0"?><!DOCTYPE d [' + entities + b"]><d>&l%d;</d>" % (levels - 1)


def quadratic_blowup(size: int = 200_000) -> bytes:
    # One large entity used many times: no nesting, so nesting limits do not see it.
    return (
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "' + b"a" * size + b'">]><d>' + b"&a;" * (size // 10) + b"</d>"
    )


def deep_xml(depth: int = 20_000) -> bytes:
    return b"<d>" * depth + b"</d>" * depth


def huge_xml_text(size: int) -> bytes:
    return b'<?xml version="1.0"?><d>' + b"x" * size + b"</d>"


GENERATED: dict[str, Callable[[], bytes]] = {
    "xml_billion_laughs_30_levels": billion_laughs,
    "xml_quadratic_blowup": quadratic_blowup,
    "xml_deep_nesting_20000": deep_xml,
    "pdf_deep_dictionary_nesting": lambda: b"%PDF-1.7\n1 0 obj\n" + b"<< /A " * 20_000 + b">>" * 20_000 + b"\nendobj\n",
}


# --- signed with the test PKI: right bytes, wrong certificate ---------------------------------------
def self_signed_persona(pki: Any) -> Any:
    """A certificate with the JPKI profile that names itself as its own issuer."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import rsa

    from delegations.signatures.testpki import Persona, PersonaSpec

    template = pki["representative"]
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(template.cert.subject)
        .issuer_name(template.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
    )
    for ext in template.cert.extensions:
        if ext.oid not in (x509.OID_AUTHORITY_KEY_IDENTIFIER, x509.OID_SUBJECT_KEY_IDENTIFIER):
            builder = builder.add_extension(ext.value, critical=ext.critical)
    cert = builder.sign(key, hashes.SHA256())
    spec = PersonaSpec("self_signed", "自己署名", name="代表\u3000太郎")
    persona = Persona(spec, key, cert, cert)
    pki.personas["self_signed"] = persona
    return persona


def wrap_moved(signed: bytes) -> bytes:
    """The signed document moved into ds:Object; a forged document in its place."""
    root = etree.fromstring(signed)
    signature = root.find(f"{{{DS}}}Signature")
    assert signature is not None
    original = etree.fromstring(signed)
    original.remove(original.find(f"{{{DS}}}Signature"))
    obj = etree.SubElement(signature, f"{{{DS}}}Object")
    obj.append(original)
    powers = next(el for el in root if isinstance(el.tag, str) and el.tag.endswith("}powers"))
    powers.text = "不動産の売却に関する一切の権限"
    return etree.tostring(root)


def wrap_in_new_root(signed: bytes) -> bytes:
    """The whole signed document wrapped in a new root beside a forged copy."""
    inner = etree.fromstring(signed)
    forged = etree.fromstring(signed)
    forged.remove(forged.find(f"{{{DS}}}Signature"))
    outer = etree.Element(inner.tag)
    outer.append(forged)
    outer.append(inner)
    return etree.tostring(outer)


def duplicated_signature(signed: bytes) -> bytes:
    root = etree.fromstring(signed)
    signature = root.find(f"{{{DS}}}Signature")
    assert signature is not None
    root.append(etree.fromstring(etree.tostring(signature)))
    return etree.tostring(root)


def signature_reference_to_id(signed: bytes) -> bytes:
    """A reference that points at one element by Id instead of the whole document."""
    root = etree.fromstring(signed)
    reference = root.find(f"{{{DS}}}Signature/{{{DS}}}SignedInfo/{{{DS}}}Reference")
    assert reference is not None
    reference.set("URI", "#target")
    root[0].set("Id", "target")
    return etree.tostring(root)


def xslt_transform(signed: bytes) -> bytes:
    root = etree.fromstring(signed)
    transforms = root.find(f"{{{DS}}}Signature/{{{DS}}}SignedInfo/{{{DS}}}Reference/{{{DS}}}Transforms")
    assert transforms is not None
    etree.SubElement(transforms, f"{{{DS}}}Transform", Algorithm="http://www.w3.org/TR/1999/REC-xslt-19991116")
    return etree.tostring(root)


def signed_element_edited(signed: bytes) -> bytes:
    root = etree.fromstring(signed)
    powers = next(el for el in root.iter() if isinstance(el.tag, str) and el.tag.endswith("}powers"))
    powers.text = (powers.text or "") + "及び不動産の売却"
    return etree.tostring(root)


def foreign_certificate_in_key_info(signed: bytes, pki: Any) -> bytes:
    """The signature kept, the certificate swapped for the registered representative's."""
    root = etree.fromstring(signed)
    cert = root.find(f".//{{{DS}}}X509Certificate")
    assert cert is not None
    cert.text = base64.b64encode(pki["representative"].cert_der).decode()
    return etree.tostring(root)


def pdf_with_javascript_before_signing(pdf: bytes) -> bytes:
    """The service's own PDF with an OpenAction script added in a revision, before anyone signs."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    action = generic.DictionaryObject(
        {
            generic.NameObject("/S"): generic.NameObject("/JavaScript"),
            generic.NameObject("/JS"): generic.TextStringObject("app.alert('x')"),
        }
    )
    writer.root["/OpenAction"] = writer.add_object(action)
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
