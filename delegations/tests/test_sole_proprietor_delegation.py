"""A sole proprietor's delegation: Table 4-1 carries 住所（事業所所在地）, the business address, not
the representative's home; the representative signs with their own JPKI certificate, matched with
the declared name and home address (no registry certificate, §3.1.3)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from conftest import make_staff
from delegations.document import delegation_pdf, delegation_xml
from delegations.document.samples import SOLE_PROPRIETOR, sample_delegation
from registry import services as registry
from registry.tests.conftest import FACTS

from .lifecycle import REPRESENTATIVE, make_active, make_finalised

pytestmark = pytest.mark.django_db
BUSINESS_ADDRESS = "大阪府大阪市北区梅田一丁目2番3号"


def make_sole_proprietor(member):
    subscriber = registry.apply_for_registration(
        actor=member,
        kind="sole_proprietor",
        corporate_number="",
        facts={
            **FACTS,
            "organisation_name": "だいひょう商店",
            "address": BUSINESS_ADDRESS,
            "representative_title": "",
            "representative_name": REPRESENTATIVE[0],
            "representative_address": REPRESENTATIVE[1],
            "representative_birth_date": date(1970, 4, 1),
        },
        evidence=None,
        terms_accepted=True,
        antisocial_declared=True,
    )
    open_facts = subscriber.open_facts
    assert open_facts is not None
    registry.approve_facts(
        open_facts,
        actor=make_staff("reception", "rc-sole@staff.example.jp"),
        company_registry_number="",
        registered_representative_name="",
        registered_representative_address="",
    )
    subscriber.refresh_from_db()
    return subscriber


def test_the_delegation_carries_the_business_address(member):
    subscriber = make_sole_proprietor(member)
    delegation = make_finalised(subscriber, member)
    xml = bytes(delegation.xml).decode()
    assert f"<businessAddress>{BUSINESS_ADDRESS}</businessAddress>" in xml
    assert REPRESENTATIVE[1] not in xml


def test_the_schema_and_the_pdf_label_it_as_the_business_address():
    schema = (Path(delegation_xml.__file__).parent / "schema" / "delegation-1.xsd").read_text(encoding="utf-8")
    assert 'name="businessAddress"' in schema and "住所（事業所所在地）" in schema
    rows = delegation_pdf.principal_rows_of(sample_delegation(principal=SOLE_PROPRIETOR).principal)
    assert ("住所（事業所所在地）", SOLE_PROPRIETOR.business_address) in rows


def test_a_sole_proprietor_signs_and_the_delegation_becomes_active(member, trusted_pki):
    subscriber = make_sole_proprietor(member)
    delegation = make_active(subscriber, member, trusted_pki)
    assert delegation.status == "active"
