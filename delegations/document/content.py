"""What a delegation says: the items of §4.1.4 Table 4-1 as typed, immutable values.

A :class:`DelegationContent` is valid by construction: every text is one the XML can carry exactly
(line breaks are normalised to LF, control characters are refused), required items are present and
the period is in order. Dates are calendar dates in Japan; the period is inclusive at both ends.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from django.utils.translation import gettext_lazy as _
from stdnum.jp import cn

from mynatrust.lib import delegation_id as delegation_ids

from .errors import invalid_content

MAX_LINE = 200  # names, titles, addresses (the JPKI address is at most 200 characters)
MAX_IDENTIFIER = 64
MAX_TEXT = 20_000  # powers, limitations
MAX_URL = 500

VALIDITY_PATH = "/api/v1/delegations/{delegation_id}/validity"


class Qualification(StrEnum):
    """The eight 士業 of §4.1.3 whose qualification reception confirms (§4.1.2)."""

    ATTORNEY = "attorney"
    JUDICIAL_SCRIVENER = "judicial_scrivener"
    ADMINISTRATIVE_SCRIVENER = "administrative_scrivener"
    LAND_AND_HOUSE_INVESTIGATOR = "land_and_house_investigator"
    PATENT_ATTORNEY = "patent_attorney"
    TAX_ACCOUNTANT = "tax_accountant"
    LABOR_AND_SOCIAL_SECURITY_ATTORNEY = "labor_and_social_security_attorney"
    CERTIFIED_PUBLIC_ACCOUNTANT = "certified_public_accountant"

    @property
    def label(self) -> Any:
        return _QUALIFICATION_LABELS[self]

    @property
    def professional_body(self) -> Any:
        """The body whose register reception checks (§4.1.2, §4.1.3 〔資格団体名〕)."""
        return _PROFESSIONAL_BODIES[self]


_QUALIFICATION_LABELS = {
    Qualification.ATTORNEY: _("弁護士"),
    Qualification.JUDICIAL_SCRIVENER: _("司法書士"),
    Qualification.ADMINISTRATIVE_SCRIVENER: _("行政書士"),
    Qualification.LAND_AND_HOUSE_INVESTIGATOR: _("土地家屋調査士"),
    Qualification.PATENT_ATTORNEY: _("弁理士"),
    Qualification.TAX_ACCOUNTANT: _("税理士"),
    Qualification.LABOR_AND_SOCIAL_SECURITY_ATTORNEY: _("社会保険労務士"),
    Qualification.CERTIFIED_PUBLIC_ACCOUNTANT: _("公認会計士"),
}

# §4.1.3 names the bodies in brackets; three of them in a short form (日本司法書士連合会,
# 日本行政書士連合会, 日本土地家屋調査士連合会). The record names each body as it calls itself.
_PROFESSIONAL_BODIES = {
    Qualification.ATTORNEY: _("日本弁護士連合会"),
    Qualification.JUDICIAL_SCRIVENER: _("日本司法書士会連合会"),
    Qualification.ADMINISTRATIVE_SCRIVENER: _("日本行政書士会連合会"),
    Qualification.LAND_AND_HOUSE_INVESTIGATOR: _("日本土地家屋調査士会連合会"),
    Qualification.PATENT_ATTORNEY: _("日本弁理士会"),
    Qualification.TAX_ACCOUNTANT: _("日本税理士会連合会"),
    Qualification.LABOR_AND_SOCIAL_SECURITY_ATTORNEY: _("全国社会保険労務士会連合会"),
    Qualification.CERTIFIED_PUBLIC_ACCOUNTANT: _("日本公認会計士協会"),
}


class AgentIdentifierKind(StrEnum):
    EMPLOYEE_NUMBER = "employee_number"
    CERTIFICATE = "certificate"
    QUALIFICATION_REGISTRATION_NUMBER = "qualification_registration_number"

    @property
    def label(self) -> Any:
        return _IDENTIFIER_LABELS[self]


_IDENTIFIER_LABELS = {
    AgentIdentifierKind.EMPLOYEE_NUMBER: _("社員番号"),
    AgentIdentifierKind.CERTIFICATE: _("証明書"),
    AgentIdentifierKind.QUALIFICATION_REGISTRATION_NUMBER: _("資格登録番号"),
}


@dataclass(frozen=True, kw_only=True)
class CorporatePrincipal:
    """委任者 that is a corporation."""

    corporate_number: str
    name: str
    head_office_address: str
    representative_title: str
    representative_name: str

    def __post_init__(self) -> None:
        _normalise_lines(self)
        if not cn.is_valid(self.corporate_number) or len(self.corporate_number) != 13:
            raise invalid_content("corporate_number", "13 digits with a valid check digit expected")
        for name in ("name", "head_office_address", "representative_title", "representative_name"):
            _check_line(name, getattr(self, name))

    @property
    def display_name(self) -> str:
        return self.name


@dataclass(frozen=True, kw_only=True)
class SoleProprietorPrincipal:
    """委任者 that is a sole proprietor; ``trade_name`` (屋号) may be empty."""

    trade_name: str
    name: str
    # 住所（事業所所在地）, Table 4-1: where the business is carried on, not the representative's home.
    business_address: str
    date_of_birth: date

    def __post_init__(self) -> None:
        _normalise_lines(self)
        _check_line("trade_name", self.trade_name, required=False)
        _check_line("name", self.name)
        _check_line("business_address", self.business_address)
        if not isinstance(self.date_of_birth, date) or isinstance(self.date_of_birth, datetime):
            raise invalid_content("date_of_birth", "a date expected")

    @property
    def display_name(self) -> str:
        return f"{self.trade_name}　{self.name}" if self.trade_name else self.name


Principal = CorporatePrincipal | SoleProprietorPrincipal


@dataclass(frozen=True, kw_only=True)
class Agent:
    """受任者: a title (役職) or a 士業 qualification, or both; ``identifier`` of ``identifier_kind``."""

    name: str
    title: str = ""
    qualification: Qualification | None = None
    address: str
    identifier_kind: AgentIdentifierKind
    identifier: str

    def __post_init__(self) -> None:
        _normalise_lines(self)
        _check_line("name", self.name)
        _check_line("title", self.title, required=self.qualification is None)
        _check_line("address", self.address)
        _check_line("identifier", self.identifier, limit=MAX_IDENTIFIER)
        if self.qualification is not None and not isinstance(self.qualification, Qualification):
            object.__setattr__(self, "qualification", Qualification(self.qualification))
        if not isinstance(self.identifier_kind, AgentIdentifierKind):
            object.__setattr__(self, "identifier_kind", AgentIdentifierKind(self.identifier_kind))
        if self.identifier_kind == AgentIdentifierKind.QUALIFICATION_REGISTRATION_NUMBER and self.qualification is None:
            raise invalid_content("identifier_kind", "a registration number needs a qualification")
        # §4.1.2, Table 4-1: a qualified agent is identified by the type and registration number of
        # the qualification, which reception checks with the professional body.
        if (
            self.qualification is not None
            and self.identifier_kind != AgentIdentifierKind.QUALIFICATION_REGISTRATION_NUMBER
        ):
            raise invalid_content("identifier_kind", "a qualified agent is identified by their registration number")


@dataclass(frozen=True, kw_only=True)
class ServiceInfo:
    """The service items filled in automatically: name, policy (運用規程) URL, validity-query URL."""

    name: str
    policy_url: str
    validity_url: str

    def __post_init__(self) -> None:
        _check_line("service.name", self.name)
        for name in ("policy_url", "validity_url"):
            value = getattr(self, name)
            _check_line(f"service.{name}", value, limit=MAX_URL)
            if not value.startswith(("https://", "http://")) or any(c.isspace() for c in value):
                raise invalid_content(f"service.{name}", "an absolute http(s) URL expected")

    @classmethod
    def for_delegation(cls, delegation_id: str, *, name: str, policy_url: str, base_url: str) -> ServiceInfo:
        path = VALIDITY_PATH.format(delegation_id=delegation_id)
        return cls(name=name, policy_url=policy_url, validity_url=base_url.rstrip("/") + path)

    @classmethod
    def from_settings(cls, delegation_id: str) -> ServiceInfo:
        """From SERVICE_NAME, SERVICE_POLICY_URL and SERVICE_BASE_URL."""
        from django.conf import settings

        return cls.for_delegation(
            delegation_id,
            name=settings.SERVICE_NAME,
            policy_url=settings.SERVICE_POLICY_URL,
            base_url=settings.SERVICE_BASE_URL,
        )


@dataclass(frozen=True, kw_only=True)
class DelegationContent:
    """Everything the delegation document states (§4.1.4 Table 4-1 plus the service items)."""

    delegation_id: str
    issued_on: date
    service: ServiceInfo
    principal: Principal
    agent: Agent
    powers: str
    limitations: str
    valid_from: date
    valid_until: date

    def __post_init__(self) -> None:
        _normalise_lines(self)
        try:
            canonical = delegation_ids.parse(self.delegation_id)
        except delegation_ids.DelegationIdError as error:
            raise invalid_content("delegation_id", error.code) from error
        if canonical != self.delegation_id:
            raise invalid_content("delegation_id", "canonical form expected")
        _check_text("powers", self.powers, required=True)
        _check_text("limitations", self.limitations, required=False)
        for name in ("issued_on", "valid_from", "valid_until"):
            value = getattr(self, name)
            if not isinstance(value, date) or isinstance(value, datetime):
                raise invalid_content(name, "a date expected")
        if self.valid_from > self.valid_until:
            raise invalid_content("valid_until", "the period ends before it starts")
        if not isinstance(self.principal, CorporatePrincipal | SoleProprietorPrincipal):
            raise invalid_content("principal", "a corporation or a sole proprietor expected")
        if not isinstance(self.agent, Agent) or not isinstance(self.service, ServiceInfo):
            raise invalid_content("agent", "an agent and the service items expected")


def _normalise_lines(instance: Any) -> None:
    # XML parsers turn CR LF into LF; normalising first makes every content survive a round trip.
    for field in fields(instance):
        value = getattr(instance, field.name)
        if isinstance(value, str) and "\r" in value:
            object.__setattr__(instance, field.name, value.replace("\r\n", "\n").replace("\r", "\n"))


def _forbidden(char: str, *, multiline: bool) -> bool:
    code = ord(char)
    if char == "\n" or char == "\t":
        return not multiline
    return code < 0x20 or 0x7F <= code <= 0x9F or 0xD800 <= code <= 0xDFFF or code in (0xFFFE, 0xFFFF)


def _check_line(name: str, value: str, *, required: bool = True, limit: int = MAX_LINE) -> None:
    if not isinstance(value, str):
        raise invalid_content(name, "text expected")
    if required and not value.strip():
        raise invalid_content(name, "required")
    if len(value) > limit:
        raise invalid_content(name, f"longer than {limit} characters")
    if any(_forbidden(c, multiline=False) for c in value):
        raise invalid_content(name, "control character or line break")


def _check_text(name: str, value: str, *, required: bool) -> None:
    if not isinstance(value, str):
        raise invalid_content(name, "text expected")
    if required and not value.strip():
        raise invalid_content(name, "required")
    if len(value) > MAX_TEXT:
        raise invalid_content(name, f"longer than {MAX_TEXT} characters")
    if any(_forbidden(c, multiline=True) for c in value):
        raise invalid_content(name, "control character")
