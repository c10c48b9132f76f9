import dataclasses
from datetime import date, datetime

import pytest

from delegations.document.content import Agent, AgentIdentifierKind, Qualification, ServiceInfo
from delegations.document.dates import japanese_date
from delegations.document.errors import DocumentError
from delegations.document.samples import CORPORATION, EMPLOYEE, SAMPLE_ID, TAX_ACCOUNTANT, sample_delegation


def test_the_sample_is_valid_content():
    assert sample_delegation().delegation_id == SAMPLE_ID


def test_the_service_items_come_from_settings(settings):
    settings.SERVICE_NAME = "テスト電子委任状サービス"
    settings.SERVICE_BASE_URL = "https://eloa.example.jp/"
    settings.SERVICE_POLICY_URL = "https://eloa.example.jp/repository/rules"
    service = ServiceInfo.from_settings(SAMPLE_ID)
    assert service.name == "テスト電子委任状サービス"
    assert service.policy_url == "https://eloa.example.jp/repository/rules"
    assert service.validity_url == f"https://eloa.example.jp/api/v1/delegations/{SAMPLE_ID}/validity"


def test_line_breaks_are_normalised_to_line_feeds():
    content = sample_delegation(powers="一\r\n二\r三", limitations="a\r\nb")
    assert content.powers == "一\n二\n三"
    assert content.limitations == "a\nb"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        # the ID in lower case is not the canonical form
        ({"delegation_id": SAMPLE_ID.lower()}, "delegation_id"),
        # a typo in the ID
        ({"delegation_id": SAMPLE_ID[:-1] + "0"}, "delegation_id"),
        # powers are required
        ({"powers": " \n "}, "powers"),
        # powers longer than the schema allows
        ({"powers": "権" * 20_001}, "powers"),
        # a control character XML 1.0 cannot carry
        ({"powers": "契約\x00の締結"}, "powers"),
        # a lone surrogate
        ({"limitations": "\ud800"}, "limitations"),
        # the period ends before it starts
        ({"valid_from": date(2027, 1, 2), "valid_until": date(2027, 1, 1)}, "valid_until"),
        # a time is not a date
        ({"issued_on": datetime(2026, 11, 25, 9, 0)}, "issued_on"),
    ],
)
def test_it_refuses_content_the_document_cannot_state(changes, field):
    with pytest.raises(DocumentError) as caught:
        sample_delegation(**changes)
    assert caught.value.code == DocumentError.INVALID_CONTENT
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        # the check digit of the corporate number is wrong
        ({"corporate_number": "1835678256246"}, "corporate_number"),
        # twelve digits: the company registry number, not the corporate number
        ({"corporate_number": "835678256246"}, "corporate_number"),
        # a required item left empty
        ({"representative_name": ""}, "representative_name"),
        # a line break in a one-line item
        ({"head_office_address": "東京都\n千代田区"}, "head_office_address"),
        # longer than the 200 characters of a JPKI address
        ({"head_office_address": "東" * 201}, "head_office_address"),
    ],
)
def test_it_refuses_bad_principal_facts(changes, field):
    with pytest.raises(DocumentError) as caught:
        dataclasses.replace(CORPORATION, **changes)
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        # neither a title nor a qualification
        ({"title": "", "qualification": None}, "title"),
        # a registration number without a qualification
        ({"identifier_kind": AgentIdentifierKind.QUALIFICATION_REGISTRATION_NUMBER}, "identifier_kind"),
        # an empty identifier
        ({"identifier": ""}, "identifier"),
        # a 士業 identified by an employee number: §4.1.2 asks for the qualification's number
        ({"qualification": Qualification.ATTORNEY, "title": ""}, "identifier_kind"),
    ],
)
def test_it_refuses_an_agent_who_is_not_described_enough(changes, field):
    with pytest.raises(DocumentError) as caught:
        dataclasses.replace(EMPLOYEE, **changes)
    assert caught.value.field == field


def test_a_qualified_agent_needs_no_title_and_may_have_one():
    assert TAX_ACCOUNTANT.title == ""
    with_title = dataclasses.replace(TAX_ACCOUNTANT, title="所長")
    assert with_title.qualification is Qualification.TAX_ACCOUNTANT


def test_a_qualification_given_as_text_becomes_the_enum():
    agent = Agent(
        name="田中　三郎",
        qualification="attorney",  # type: ignore[arg-type]
        address="東京都港区",
        identifier_kind="qualification_registration_number",  # type: ignore[arg-type]
        identifier="99999",
    )
    assert agent.qualification is Qualification.ATTORNEY
    assert agent.identifier_kind is AgentIdentifierKind.QUALIFICATION_REGISTRATION_NUMBER


def test_there_are_exactly_the_eight_qualified_professions_with_japanese_labels():
    assert [str(q.label) for q in Qualification] == [
        "弁護士",
        "司法書士",
        "行政書士",
        "土地家屋調査士",
        "弁理士",
        "税理士",
        "社会保険労務士",
        "公認会計士",
    ]


def test_an_invalid_content_message_names_the_item_in_japanese():
    with pytest.raises(DocumentError) as caught:
        sample_delegation(powers="")
    assert caught.value.message == "電子委任状の項目「代理権の内容」の内容が正しくありません。"


@pytest.mark.parametrize(
    ("day", "text"),
    [
        # an ordinary Reiwa date
        (date(2026, 11, 25), "2026年（令和8年）11月25日"),
        # the first day of Reiwa is 元年
        (date(2019, 5, 1), "2019年（令和元年）5月1日"),
        # the last day of Heisei
        (date(2019, 4, 30), "2019年（平成31年）4月30日"),
        # the first day of Heisei; the day before is Showa 64
        (date(1989, 1, 8), "1989年（平成元年）1月8日"),
        (date(1989, 1, 7), "1989年（昭和64年）1月7日"),
        # a date of birth in Showa
        (date(1975, 3, 4), "1975年（昭和50年）3月4日"),
        # before Meiji there is no era year
        (date(1850, 1, 1), "1850年1月1日"),
    ],
)
def test_dates_are_written_with_the_era_year(day, text):
    assert japanese_date(day) == text
