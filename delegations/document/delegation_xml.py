"""The delegation document as canonical XML (namespace ``urn:mynatrust:delegation:1``), and back.

:func:`to_xml` writes one element per item in a fixed order, UTF-8, no XML declaration, no white
space between elements: the bytes are their own exclusive C14N, so the same content always gives the
same bytes and the same SHA-256. :func:`from_xml` reads untrusted bytes with the hardened parser,
validates them against ``schema/delegation-1.xsd`` and returns the content; by default it also
insists that the bytes are exactly what :func:`to_xml` would write for that content.
"""

from __future__ import annotations

import hashlib
from datetime import date

from django.utils.translation import gettext_lazy as _
from lxml import etree

from .content import (
    Agent,
    AgentIdentifierKind,
    CorporatePrincipal,
    DelegationContent,
    Qualification,
    ServiceInfo,
    SoleProprietorPrincipal,
)
from .errors import DocumentError
from .safe_xml import parse_untrusted, validate

NAMESPACE = "urn:mynatrust:delegation:1"
SCHEMA = "delegation-1.xsd"
FILENAME = "delegation.xml"
MIME_TYPE = "application/xml"
_NS = f"{{{NAMESPACE}}}"
_DSIG = "{http://www.w3.org/2000/09/xmldsig#}"


def to_xml(content: DelegationContent) -> bytes:
    root = etree.Element(_NS + "delegation", nsmap={None: NAMESPACE})
    _add(root, "delegationId", content.delegation_id)
    _add(root, "issuedOn", content.issued_on.isoformat())
    service = _add(root, "service")
    _add(service, "name", content.service.name)
    _add(service, "policyUrl", content.service.policy_url)
    _add(service, "validityUrl", content.service.validity_url)
    principal = _add(root, "principal")
    match content.principal:
        case CorporatePrincipal() as corporation:
            element = _add(principal, "corporation")
            _add(element, "corporateNumber", corporation.corporate_number)
            _add(element, "name", corporation.name)
            _add(element, "headOfficeAddress", corporation.head_office_address)
            _add(element, "representativeTitle", corporation.representative_title)
            _add(element, "representativeName", corporation.representative_name)
        case SoleProprietorPrincipal() as person:
            element = _add(principal, "soleProprietor")
            _add(element, "tradeName", person.trade_name)
            _add(element, "name", person.name)
            _add(element, "businessAddress", person.business_address)
            _add(element, "dateOfBirth", person.date_of_birth.isoformat())
    agent = _add(root, "agent")
    _add(agent, "name", content.agent.name)
    if content.agent.title:
        _add(agent, "title", content.agent.title)
    if content.agent.qualification is not None:
        _add(agent, "qualification", content.agent.qualification.value)
    _add(agent, "address", content.agent.address)
    _add(agent, "identifier", content.agent.identifier).set("kind", content.agent.identifier_kind.value)
    _add(root, "powers", content.powers)
    _add(root, "limitations", content.limitations)
    period = _add(root, "period")
    _add(period, "validFrom", content.valid_from.isoformat())
    _add(period, "validUntil", content.valid_until.isoformat())
    return canonicalise(root)


def from_xml(data: bytes, *, require_canonical: bool = True) -> DelegationContent:
    """The content of untrusted delegation XML, or :class:`DocumentError`.

    ``require_canonical=False`` accepts the same document with an enveloped ``ds:Signature`` or
    other serialisation differences; the facts are still read only from schema-valid XML.
    """
    root = parse_untrusted(data)
    validate(root, SCHEMA)
    content = _read(root)
    if require_canonical and to_xml(content) != data:
        raise DocumentError(
            DocumentError.NOT_CANONICAL,
            _("XML ファイルがこのサービスの作成した電子委任状と一致しません。"),
            detail="bytes differ from the canonical serialisation",
        )
    return content


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def canonicalise(root: etree._Element) -> bytes:
    return etree.tostring(root, method="c14n", exclusive=True, with_comments=False)


def _add(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, _NS + name)
    if text:
        element.text = text
    return element


def _read(root: etree._Element) -> DelegationContent:
    # The schema fixed the structure; what remains is turning text into typed values.
    service = _child(root, "service")
    principal_element = _child(root, "principal")[0]
    principal: CorporatePrincipal | SoleProprietorPrincipal
    if principal_element.tag == _NS + "corporation":
        principal = CorporatePrincipal(
            corporate_number=_text(principal_element, "corporateNumber"),
            name=_text(principal_element, "name"),
            head_office_address=_text(principal_element, "headOfficeAddress"),
            representative_title=_text(principal_element, "representativeTitle"),
            representative_name=_text(principal_element, "representativeName"),
        )
    else:
        principal = SoleProprietorPrincipal(
            trade_name=_text(principal_element, "tradeName"),
            name=_text(principal_element, "name"),
            business_address=_text(principal_element, "businessAddress"),
            date_of_birth=_date(principal_element, "dateOfBirth"),
        )
    agent_element = _child(root, "agent")
    qualification = agent_element.find(_NS + "qualification")
    identifier = _child(agent_element, "identifier")
    period = _child(root, "period")
    return DelegationContent(
        delegation_id=_text(root, "delegationId"),
        issued_on=_date(root, "issuedOn"),
        service=ServiceInfo(
            name=_text(service, "name"),
            policy_url=_text(service, "policyUrl"),
            validity_url=_text(service, "validityUrl"),
        ),
        principal=principal,
        agent=Agent(
            name=_text(agent_element, "name"),
            title=_text(agent_element, "title", required=False),
            qualification=Qualification(qualification.text) if qualification is not None else None,
            address=_text(agent_element, "address"),
            identifier_kind=AgentIdentifierKind(identifier.get("kind")),
            identifier=identifier.text or "",
        ),
        powers=_text(root, "powers"),
        limitations=_text(root, "limitations"),
        valid_from=_date(period, "validFrom"),
        valid_until=_date(period, "validUntil"),
    )


def _child(parent: etree._Element, name: str) -> etree._Element:
    element = parent.find(_NS + name)
    if element is None:  # pragma: no cover - the schema requires it
        raise KeyError(name)
    return element


def _text(parent: etree._Element, name: str, *, required: bool = True) -> str:
    element = parent.find(_NS + name)
    if element is None:
        if required:  # pragma: no cover - the schema requires it
            raise KeyError(name)
        return ""
    return element.text or ""


def _date(parent: etree._Element, name: str) -> date:
    return date.fromisoformat(_text(parent, name))
