"""The agent's acceptance (受諾書): which delegation the agent accepts, named by its ID and the
SHA-256 of its XML, as canonical XML in ``urn:mynatrust:acceptance:1``.

The agent signs it with their JPKI signing certificate; that signature is how the agent proves
their identity (§4.1.1(3)), and the digest ties it to exactly one delegation document.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from django.utils.translation import gettext_lazy as _
from lxml import etree

from mynatrust.lib import delegation_id as delegation_ids

from .content import DelegationContent, ServiceInfo
from .delegation_xml import canonicalise, sha256_hex
from .errors import DocumentError, invalid_content
from .safe_xml import parse_untrusted, validate

NAMESPACE = "urn:mynatrust:acceptance:1"
SCHEMA = "acceptance-1.xsd"
FILENAME = "acceptance.xml"
MIME_TYPE = "application/xml"
STATEMENT = "私は、上記の電子委任状 ID 及び SHA-256 ダイジェストにより特定される電子委任状による委任を受諾します。"
_NS = f"{{{NAMESPACE}}}"
_HEX64 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, kw_only=True)
class AcceptanceContent:
    delegation_id: str
    delegation_sha256: str  # lower-case hex SHA-256 of the delegation XML bytes
    issued_on: date
    service: ServiceInfo
    principal_name: str
    agent_name: str

    def __post_init__(self) -> None:
        if (
            not delegation_ids.is_valid(self.delegation_id)
            or delegation_ids.parse(self.delegation_id) != self.delegation_id
        ):
            raise invalid_content("delegation_id", "canonical delegation ID expected")
        if not isinstance(self.delegation_sha256, str) or not _HEX64.fullmatch(self.delegation_sha256):
            raise invalid_content("delegation_sha256", "64 lower-case hex digits expected")
        if not isinstance(self.issued_on, date) or isinstance(self.issued_on, datetime):
            raise invalid_content("issued_on", "a date expected")
        for name in ("principal_name", "agent_name"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip() or len(value) > 200 or any(ord(c) < 0x20 for c in value):
                raise invalid_content(name, "one line of text expected")

    @classmethod
    def for_delegation(cls, content: DelegationContent, delegation_xml: bytes, *, issued_on: date) -> AcceptanceContent:
        return cls(
            delegation_id=content.delegation_id,
            delegation_sha256=sha256_hex(delegation_xml),
            issued_on=issued_on,
            service=content.service,
            principal_name=content.principal.display_name,
            agent_name=content.agent.name,
        )


def to_xml(content: AcceptanceContent) -> bytes:
    root = etree.Element(_NS + "acceptance", nsmap={None: NAMESPACE})
    _add(root, "delegationId", content.delegation_id)
    _add(root, "delegationDigest", content.delegation_sha256).set("algorithm", "sha-256")
    _add(root, "issuedOn", content.issued_on.isoformat())
    service = _add(root, "service")
    _add(service, "name", content.service.name)
    _add(service, "policyUrl", content.service.policy_url)
    _add(service, "validityUrl", content.service.validity_url)
    _add(root, "principalName", content.principal_name)
    _add(root, "agentName", content.agent_name)
    _add(root, "statement", STATEMENT)
    return canonicalise(root)


def from_xml(data: bytes, *, require_canonical: bool = True) -> AcceptanceContent:
    """The content of untrusted acceptance XML, or :class:`DocumentError` (as ``delegation_xml.from_xml``)."""
    root = parse_untrusted(data)
    validate(root, SCHEMA)
    service = root.find(_NS + "service")
    assert service is not None  # noqa: S101 - the schema requires it
    content = AcceptanceContent(
        delegation_id=_text(root, "delegationId"),
        delegation_sha256=_text(root, "delegationDigest"),
        issued_on=date.fromisoformat(_text(root, "issuedOn")),
        service=ServiceInfo(
            name=_text(service, "name"),
            policy_url=_text(service, "policyUrl"),
            validity_url=_text(service, "validityUrl"),
        ),
        principal_name=_text(root, "principalName"),
        agent_name=_text(root, "agentName"),
    )
    if require_canonical and to_xml(content) != data:
        raise DocumentError(
            DocumentError.NOT_CANONICAL,
            _("XML ファイルがこのサービスの作成した受諾書と一致しません。"),
            detail="bytes differ from the canonical serialisation",
        )
    return content


def _add(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, _NS + name)
    if text:
        element.text = text
    return element


def _text(parent: etree._Element, name: str) -> str:
    element = parent.find(_NS + name)
    return (element.text or "") if element is not None else ""
