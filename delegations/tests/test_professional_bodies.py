"""Each 士業 of §4.1.3 maps to the professional body whose register reception checks, and the check
record names that body and one of the two methods §4.1.2 allows: the body's website, or an inquiry
by telephone or the like."""

from __future__ import annotations

from datetime import date

import pytest

from audit.models import AuditEvent
from delegations import services
from delegations.document.content import Qualification
from delegations.models import Delegation, QualificationCheck
from delegations.services import DelegationError
from delegations.tests.lifecycle import make_finalised, signed_pair

BODIES = {
    "attorney": "日本弁護士連合会",
    "judicial_scrivener": "日本司法書士会連合会",
    "administrative_scrivener": "日本行政書士会連合会",
    "land_and_house_investigator": "日本土地家屋調査士会連合会",
    "patent_attorney": "日本弁理士会",
    "tax_accountant": "日本税理士会連合会",
    "labor_and_social_security_attorney": "全国社会保険労務士会連合会",
    "certified_public_accountant": "日本公認会計士協会",
}


@pytest.mark.parametrize(("qualification", "body"), BODIES.items())
def test_each_qualification_maps_to_its_professional_body(qualification, body):
    assert str(Qualification(qualification).professional_body) == body


def test_every_qualification_of_the_model_has_a_body():
    assert {q.value for q in Qualification} == set(Delegation.Qualification.values) == set(BODIES)


def _submitted(subscriber, member, trusted_pki):
    delegation = make_finalised(
        subscriber,
        member,
        agent_title="",
        agent_qualification="judicial_scrivener",
        agent_identifier_kind="qualification_registration_number",
        agent_identifier="大阪 第1234号",
    )
    for data, role in zip(signed_pair(delegation, trusted_pki), ("principal", "agent"), strict=True):
        services.submit_signed_file(delegation, data, actor=member, role=role)
    return delegation


@pytest.mark.django_db
def test_the_check_record_names_the_body_and_the_method(subscriber, member, trusted_pki, staff_by_role):
    delegation = _submitted(subscriber, member, trusted_pki)
    check = services.record_qualification_check(
        delegation,
        actor=staff_by_role["reception"],
        channel=QualificationCheck.Channel.WEBSITE,
        method="司法書士検索（会員名簿）で氏名と登録番号を照合",
        checked_on=date.today(),
        contact_person="-",
        result=QualificationCheck.Result.CONFIRMED,
    )
    assert check.professional_body == "日本司法書士会連合会"
    assert check.get_channel_display() == "資格団体のホームページでの資格確認"
    event = AuditEvent.objects.get(event_type="delegations.delegation.qualification_checked")
    assert event.data["professional_body"] == "日本司法書士会連合会"
    assert event.data["channel"] == "website"


@pytest.mark.django_db
def test_a_check_without_one_of_the_two_methods_is_refused_and_audited(subscriber, member, trusted_pki, staff_by_role):
    delegation = _submitted(subscriber, member, trusted_pki)
    with pytest.raises(DelegationError):
        services.record_qualification_check(
            delegation,
            actor=staff_by_role["reception"],
            channel="hearsay",
            method="知人に聞いた",
            checked_on=date.today(),
            contact_person="-",
            result=QualificationCheck.Result.CONFIRMED,
        )
    assert not QualificationCheck.objects.exists()
    assert AuditEvent.objects.filter(event_type="delegations.delegation.qualification_check_refused").exists()
