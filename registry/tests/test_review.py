"""Reception's review in the admin (§3.1.3): queues, NTA lookup beside the application, the evidence
inline, approve / return / reject with a reason; each transition is an audit event and an e-mail."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from conftest import decide, hidden_fields, make_staff, otp_login
from registry import services
from registry.models import CorporateRecord, Subscriber, SubscriberFacts
from registry.services import RegistryError

from .conftest import apply, approve, corporate_number, events

pytestmark = pytest.mark.django_db


def review_url(subscriber):
    return reverse("admin:registry_subscriber_change", args=[subscriber.pk])


def decide_url(subscriber, verb):
    return reverse("admin:registry_subscriber_decide", args=[subscriber.pk, verb])


# What the reviewer types from the registry certificate, and the declared facts they confirm on it.
READ_FROM_EVIDENCE = {
    "registered_representative_name": "山田 太郎",
    "registered_representative_address": "東京都世田谷区太子堂四丁目5番6号",
    # each row of the NTA record confirmed against the application and the certificate
    "nta_name": "match",
    "nta_address": "match",
    "nta_corporate_number": "match",
    "nta_status": "match",
}


@pytest.fixture
def desk(client, reception):
    otp_login(client, reception)
    return client


def test_reception_approves_in_the_admin_and_the_applicant_is_told(
    desk, applied, mailoutbox, django_capture_on_commit_callbacks
):
    page = desk.get(review_url(applied))
    assert page.status_code == 200
    assert "株式会社みなと商事" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = decide(
            desk,
            decide_url(applied, "approve"),
            {"company_registry_number": applied.corporate_number[1:], **READ_FROM_EVIDENCE},
        )
    assert response.status_code == 302, response.context["form"].errors
    assert response["Location"] == review_url(applied)
    applied.refresh_from_db()
    assert applied.status == Subscriber.Status.ACTIVE
    assert applied.contract_start == date.today() or applied.contract_start is not None
    assert applied.contract_end > applied.contract_start
    assert applied.registered_representative() == ("山田 太郎", "東京都世田谷区太子堂四丁目5番6号")
    assert applied.may_submit()
    event = events("registry.subscriber.approved")[0]
    assert event.subject_id == applied.public_id and event.actor_label
    assert "承認しました" in mailoutbox[-1].subject


@pytest.mark.parametrize(
    ("registry_number", "code"),
    [
        ("12345", "registry_number_format"),  # not 12 digits
        ("999999999999", "registry_number_mismatch"),  # not the corporate number without its check digit
    ],
)
def test_a_wrong_company_registry_number_is_refused_and_the_refusal_audited(applied, reception, registry_number, code):
    with pytest.raises(RegistryError) as refused:
        approve(applied, reception, company_registry_number=registry_number)
    assert "会社法人等番号" in refused.value.message
    applied.refresh_from_db()
    assert applied.status == Subscriber.Status.APPLIED
    assert applied.open_facts.state == SubscriberFacts.State.PENDING
    assert events("registry.facts.approve_refused")[0].data["code"] == code


def test_reception_returns_an_application_and_the_applicant_resubmits(
    client, applied, reception, subscriber_member, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.return_facts(applied.open_facts, actor=reception, reason="証明書の発行日が読み取れません")
    applied.refresh_from_db()
    assert applied.status == Subscriber.Status.RETURNED
    assert Subscriber.objects.waiting_for_applicant().get() == applied
    assert "証明書の発行日が読み取れません" in mailoutbox[-1].body
    client.force_login(subscriber_member)
    home = client.get("/app/").content.decode()
    assert "証明書の発行日が読み取れません" in home
    data = {k: v for k, v in applied.open_facts.declared().items() if v is not None}
    data["representative_title"] = "代表取締役社長"
    confirm = client.post("/app/apply/resubmit/", data).content.decode()
    assert 'data-testid="submit-confirmed"' in confirm and "代表取締役社長" in confirm
    applied.refresh_from_db()
    assert applied.status == Subscriber.Status.RETURNED  # the confirmation page stores nothing
    response = client.post("/app/apply/resubmit/", hidden_fields(confirm))
    assert response.status_code == 302 and response["Location"] == "/app/apply/resubmit/done/"
    done = client.get(response["Location"]).content.decode()
    assert "再提出を受け付けました" in done and 'data-testid="reception-number"' in done
    replayed = client.post("/app/apply/resubmit/", hidden_fields(confirm))  # the final button again
    assert replayed.status_code == 302 and replayed["Location"] == "/app/"
    assert events("registry.facts.resubmit_refused")[0].data["code"] == "confirmation_used"
    assert len(events("registry.facts.resubmitted")) == 1
    applied.refresh_from_db()
    assert applied.status == Subscriber.Status.APPLIED
    assert applied.open_facts.representative_title == "代表取締役社長"
    assert events("registry.facts.returned") and events("registry.facts.resubmitted")


def test_reception_rejects_with_a_reason_that_the_applicant_sees(
    client, desk, applied, subscriber_member, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = decide(desk, decide_url(applied, "reject"), {"reason": "登記記録が閉鎖されています"})
    assert response.status_code == 302
    applied.refresh_from_db()
    assert applied.status == Subscriber.Status.REJECTED
    assert "登記記録が閉鎖されています" in mailoutbox[-1].body
    assert events("registry.subscriber.rejected")[0].data["reason"] == "登記記録が閉鎖されています"
    client.force_login(subscriber_member)
    assert "登記記録が閉鎖されています" in client.get("/app/").content.decode()


def test_reject_and_return_need_a_reason(desk, applied):
    for verb in ("reject", "return"):
        response = decide(desk, decide_url(applied, verb), {"reason": " "})
        assert response.status_code == 200
        assert "このフィールドは必須です" in response.content.decode()
    applied.refresh_from_db()
    assert applied.status == Subscriber.Status.APPLIED
    with pytest.raises(RegistryError):
        services.reject_facts(applied.open_facts, actor=None, reason="")  # type: ignore[arg-type]  # a wrong caller
    assert events("registry.facts.reject_refused")


def test_starting_the_review_is_recorded(desk, applied):
    page = desk.get(decide_url(applied, "start")).content.decode()
    assert "審査中" in page and "株式会社みなと商事" in page
    response = decide(desk, decide_url(applied, "start"))
    assert response.status_code == 302
    applied.refresh_from_db()
    assert applied.status == Subscriber.Status.UNDER_REVIEW
    assert events("registry.subscriber.review_started")
    with pytest.raises(RegistryError):
        services.start_review(applied, actor=None)  # type: ignore[arg-type]  # a wrong caller


def test_the_queues_separate_applications_to_review_from_those_waiting_for_the_applicant(
    desk, applied, other_subscriber_member, reception
):
    other = apply(other_subscriber_member, number=corporate_number("011001099999"), organisation_name="合同会社きた")
    services.return_facts(other.open_facts, actor=reception, reason="再提出をお願いします")
    changelist = reverse("admin:registry_subscriber_changelist")
    to_review = desk.get(changelist + "?queue=to_review").content.decode()
    waiting = desk.get(changelist + "?queue=waiting").content.decode()
    assert "株式会社みなと商事" in to_review and "合同会社きた" not in to_review
    assert "合同会社きた" in waiting and "株式会社みなと商事" not in waiting


@pytest.mark.parametrize(
    ("record", "finding"),
    [
        ({"name": "株式会社みなと商事", "street_number": "芝公園1-2-3"}, None),  # agrees (numerals normalised)
        ({"name": "株式会社みなと物産", "street_number": "芝公園1-2-3"}, "商号が公表データと異なります"),
        ({"name": "株式会社みなと商事", "street_number": "海岸1-1-1"}, "所在地が公表データと異なります"),
        (
            {
                "name": "株式会社みなと商事",
                "street_number": "芝公園1-2-3",
                "close_date": date(2024, 3, 31),
                "close_cause": "01",
            },
            "登記記録が閉鎖されています",
        ),
    ],
)
def test_the_nta_lookup_result_is_shown_beside_the_application(desk, subscriber_member, record, finding):
    CorporateRecord.objects.create(
        corporate_number=corporate_number(), prefecture_name="東京都", city_name="港区", latest="1", **record
    )
    subscriber = apply(subscriber_member)
    body = desk.get(review_url(subscriber)).content.decode()
    assert record["name"] in body
    if finding:
        assert finding in body
    else:
        assert "一致しています" in body


def test_an_nta_lookup_that_fails_is_shown_and_does_not_block_the_application(subscriber_member, settings):
    settings.NTA_APPLICATION_ID = "test-app-id"
    settings.NTA_API_URL = "http://127.0.0.1:9/4"  # nothing listens on the discard port
    settings.NTA_API_TIMEOUT = 0.5
    subscriber = apply(subscriber_member)
    assert subscriber.facts.get().nta_check["findings"] == ["lookup_failed"]


def test_the_evidence_pdf_is_served_inline_safely_and_its_viewing_is_audited(desk, applied):
    evidence = applied.open_facts.evidence.get()
    response = desk.get(reverse("admin:registry_evidence_pdf", args=[evidence.public_id]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert response.content.startswith(b"%PDF-")
    assert events("registry.evidence.viewed")[0].subject_id == evidence.public_id


@pytest.mark.parametrize("role", ["service_operator", "maintenance", "service_administrator"])
def test_other_roles_cannot_open_the_review_or_the_evidence(client, applied, role):
    otp_login(client, make_staff(role, f"{role}@x.example.jp"))
    evidence = applied.open_facts.evidence.get()
    assert client.get(review_url(applied)).status_code == 403
    assert client.get(reverse("admin:registry_evidence_pdf", args=[evidence.public_id])).status_code == 403
    assert client.get(reverse("admin:registry_evidence_page", args=[evidence.public_id, 1])).status_code == 403


def _applied_with_pages(subscriber_member, pages):
    from registry.pdf_check import check_pdf
    from registry.services import EvidenceInput

    from .conftest import FACTS, make_pdf

    evidence = EvidenceInput(
        issued_on=date.today(),
        pdf=check_pdf(make_pdf(pages=pages), max_size=10 * 1024 * 1024),
        file_name="touki.pdf",
    )
    return services.apply_for_registration(
        actor=subscriber_member,
        kind="corporation",
        corporate_number=corporate_number(),
        facts=dict(FACTS),
        evidence=evidence,
        terms_accepted=True,
        antisocial_declared=True,
    )


def test_the_approval_page_shows_each_page_of_the_certificate_as_an_image(desk, subscriber_member):
    subscriber = _applied_with_pages(subscriber_member, 3)
    evidence = subscriber.open_facts.evidence.get()
    body = desk.get(decide_url(subscriber, "approve")).content.decode()
    urls = [reverse("admin:registry_evidence_page", args=[evidence.public_id, n]) for n in (1, 2, 3)]
    assert all(url in body for url in urls) and "<iframe" not in body
    for url in urls:
        response = desk.get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "image/png" and response.content.startswith(b"\x89PNG\r\n\x1a\n")
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Security-Policy"] == "sandbox; default-src 'none'"
        assert "no-store" in response["Cache-Control"]
    viewed = events("registry.evidence.viewed")
    assert sorted(e.data["page"] for e in viewed) == [1, 2, 3]
    assert {e.subject_id for e in viewed} == {evidence.public_id}


def test_only_the_first_pages_up_to_the_limit_are_drawn(desk, subscriber_member, settings):
    settings.REGISTRY_EVIDENCE_PREVIEW_PAGES = 2
    subscriber = _applied_with_pages(subscriber_member, 3)
    evidence = subscriber.open_facts.evidence.get()
    body = desk.get(decide_url(subscriber, "approve")).content.decode()
    assert reverse("admin:registry_evidence_page", args=[evidence.public_id, 2]) in body
    assert reverse("admin:registry_evidence_page", args=[evidence.public_id, 3]) not in body
    assert "画像は2ページ目までです" in body
    for number in (0, 3, 99):
        assert desk.get(reverse("admin:registry_evidence_page", args=[evidence.public_id, number])).status_code == 404
    assert events("registry.evidence.viewed") == []


def test_a_page_that_cannot_be_drawn_says_so_without_a_server_error(desk, applied, monkeypatch):
    from mynatrust.lib import pdf_pages

    monkeypatch.setattr(pdf_pages, "renderer", lambda: None)
    evidence = applied.open_facts.evidence.get()
    response = desk.get(reverse("admin:registry_evidence_page", args=[evidence.public_id, 1]))
    assert response.status_code == 503
    assert "PDFを別のタブで開いてください" in response.content.decode()


def test_the_auditor_reads_but_cannot_decide(client, applied):
    otp_login(client, make_staff("auditor", "auditor@x.example.jp"))
    assert client.get(review_url(applied)).status_code == 200
    assert "不承認にする" not in client.get(review_url(applied)).content.decode()
    assert client.get(decide_url(applied, "reject")).status_code == 403
    response = client.post(decide_url(applied, "reject"), {"reason": "x"})
    assert response.status_code == 403
    applied.refresh_from_db()
    assert applied.status == Subscriber.Status.APPLIED


def test_subscriber_accounts_never_reach_the_admin(client, applied, subscriber_member):
    client.force_login(subscriber_member)
    response = client.get(review_url(applied))
    assert response.status_code in (302, 403)
    assert "株式会社みなと商事" not in response.content.decode()


def test_approving_twice_is_refused(applied, reception):
    facts = applied.open_facts
    approve(applied, reception)
    with pytest.raises(RegistryError):
        services.approve_facts(
            facts,
            actor=reception,
            company_registry_number=applied.corporate_number[1:],
            registered_representative_name="山田 太郎",
            registered_representative_address="x",
        )


def test_reception_looks_the_number_up_again_after_an_import(desk, applied):
    assert applied.open_facts.nta_check["status"] == "unknown"
    CorporateRecord.objects.create(
        corporate_number=applied.corporate_number,
        name="株式会社みなと商事",
        prefecture_name="東京都",
        city_name="港区",
        street_number="芝公園1-2-3",
        latest="1",
    )
    response = desk.post(reverse("admin:registry_subscriber_nta_recheck", args=[applied.pk]))
    assert response.status_code == 302
    assert applied.open_facts.nta_check["status"] == "found"
    assert applied.open_facts.nta_check["findings"] == []
    assert events("registry.facts.nta_rechecked")[0].data["status"] == "found"


def test_the_review_page_of_an_active_subscriber_offers_the_contract_actions_with_unique_ids(desk, active):
    import re
    from collections import Counter

    body = desk.get(review_url(active)).content.decode()
    assert "利用停止にする" in body and "契約を終了する" in body and "利用を再開する" not in body
    ids = Counter(re.findall(r'\sid="([^"]+)"', body))
    assert [i for i, n in ids.items() if n > 1] == []


def test_an_application_left_waiting_for_the_applicant_can_be_rejected(applied, reception):
    services.return_facts(applied.open_facts, actor=reception, reason="再提出を")
    services.reject_facts(applied.open_facts, actor=reception, reason="期限までに再提出がありませんでした")
    applied.refresh_from_db()
    assert applied.status == Subscriber.Status.REJECTED
    assert applied.open_facts is None


# --- decisions as pages, the evidence beside the typed facts -------------------------------------------
def test_the_review_page_offers_decisions_as_buttons_and_no_form_decides(desk, applied):
    body = desk.get(review_url(applied)).content.decode()
    for verb in ("start", "approve", "return", "reject"):
        assert decide_url(applied, verb) in body, verb
    assert 'name="decision"' not in body and 'id="review-form"' not in body


def test_the_approval_page_shows_the_evidence_beside_empty_fields_the_reviewer_types(desk, applied):
    page = desk.get(decide_url(applied, "approve"))
    body = page.content.decode()
    evidence = applied.open_facts.evidence.get()
    assert reverse("admin:registry_evidence_pdf", args=[evidence.public_id]) in body
    assert 'data-testid="review-evidence"' in body and 'data-testid="review-compare"' in body
    form = page.context["form"]
    # never pre-filled from the applicant's own entries
    assert not form.initial and 'value="山田 太郎"' not in body
    for row in ("name", "address", "corporate_number", "status"):
        assert f'data-testid="nta-row-{row}"' in body, row


def test_an_approval_without_each_field_confirmed_changes_nothing(desk, applied):
    data = {k: v for k, v in READ_FROM_EVIDENCE.items() if k != "nta_address"}
    response = decide(
        desk, decide_url(applied, "approve"), {"company_registry_number": applied.corporate_number[1:], **data}
    )
    assert response.status_code == 200
    applied.refresh_from_db()
    assert applied.status == Subscriber.Status.APPLIED
    assert events("form.refused")


def test_a_wrong_registry_number_on_the_approval_page_is_shown_and_audited(desk, applied):
    response = decide(
        desk, decide_url(applied, "approve"), {"company_registry_number": "999999999999", **READ_FROM_EVIDENCE}
    )
    assert response.status_code == 200
    assert "会社法人等番号" in response.content.decode()
    assert events("registry.facts.approve_refused")[0].data["code"] == "registry_number_mismatch"


def test_a_decision_posted_without_its_confirmation_page_is_refused_and_audited(desk, applied):
    from audit.models import AuditEvent

    response = desk.post(decide_url(applied, "reject"), {"reason": "スクリプトから"})
    assert response.status_code == 302
    applied.refresh_from_db()
    assert applied.status == Subscriber.Status.APPLIED
    refused = AuditEvent.objects.get(event_type="staff.decision_refused")
    assert refused.data["decision"] == "subscriber.reject"


def test_a_decision_that_does_not_apply_now_is_not_offered(desk, active):
    response = desk.get(decide_url(active, "approve"))
    assert response.status_code == 302
    assert response["Location"] == review_url(active)
    assert events("staff.decision_refused")[0].data["reason"] == "not_open"


def test_a_sole_proprietor_is_approved_without_registry_fields(desk, subscriber_member):
    from .test_sole_proprietor import _apply

    subscriber = _apply(subscriber_member)
    page = desk.get(decide_url(subscriber, "approve"))
    assert "registered_representative_name" not in page.context["form"].fields
    decide(desk, decide_url(subscriber, "approve"))
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE


def test_the_contract_is_suspended_through_its_confirmation_page(desk, active):
    decide(desk, decide_url(active, "suspend"), {"reason": "料金の未払い"})
    active.refresh_from_db()
    assert active.status == Subscriber.Status.SUSPENDED
    assert decide_url(active, "reinstate") in desk.get(review_url(active)).content.decode()


# --- the NTA record confirmed row by row ---------------------------------------------------------------
def _published(subscriber, **record):
    """The NTA's record of the applicant's number, looked up again as reception would."""
    CorporateRecord.objects.create(
        corporate_number=subscriber.corporate_number,
        **{
            "name": "株式会社みなと商事",
            "prefecture_name": "東京都",
            "city_name": "港区",
            "street_number": "芝公園一丁目2番3号",
            "latest": "1",
            **record,
        },
    )
    services.recheck_corporate_number(subscriber.open_facts, actor=make_staff("reception", "r2@staff.example.jp"))


def _confirm(**rows):
    from registry.services import NtaRow

    verdicts = {"name": "match", "address": "match", "corporate_number": "match", "status": "match", **rows}
    return {key: NtaRow(*value) if isinstance(value, tuple) else NtaRow(value) for key, value in verdicts.items()}


def _approve(subscriber, reviewer, confirmation):
    return services.approve_facts(
        subscriber.open_facts,
        actor=reviewer,
        company_registry_number=subscriber.corporate_number[1:],
        registered_representative_name="山田 太郎",
        registered_representative_address="東京都世田谷区太子堂四丁目5番6号",
        nta_confirmation=confirmation,
    )


def test_an_approval_without_every_nta_row_confirmed_is_refused_and_audited(applied, reception):
    _published(applied)
    with pytest.raises(RegistryError) as refused:
        _approve(applied, reception, {k: v for k, v in _confirm().items() if k != "status"})
    assert refused.value.code == "nta_unconfirmed"
    applied.refresh_from_db()
    assert applied.status == Subscriber.Status.APPLIED
    assert events("registry.facts.approve_refused")[0].data["code"] == "nta_unconfirmed"
    assert not events("registry.facts.nta_confirmed")


def test_a_mismatched_nta_row_blocks_the_approval_with_its_note_on_record(applied, reception):
    _published(applied, close_date=date(2026, 1, 31), close_cause="01")
    with pytest.raises(RegistryError) as refused:
        _approve(applied, reception, _confirm(status=("mismatch", "公表データでは閉鎖済み")))
    assert refused.value.code == "nta_mismatch"
    applied.refresh_from_db()
    assert applied.status == Subscriber.Status.APPLIED and applied.open_facts.nta_confirmation == []
    reason = events("registry.facts.approve_refused")[0].data["reason"]
    assert "登記記録の状態" in reason and "公表データでは閉鎖済み" in reason


def test_a_mismatch_needs_a_note(applied, reception):
    _published(applied)
    with pytest.raises(RegistryError) as refused:
        _approve(applied, reception, _confirm(name=("mismatch", " ")))
    assert refused.value.code == "nta_note_missing"


def test_the_nta_confirmation_is_stored_with_the_decision_and_audited(applied, reception):
    _published(applied)
    facts = _approve(applied, reception, _confirm(address=("match", "丁目の表記のみ異なる")))
    rows = {row["row"]: row for row in facts.nta_confirmation}
    assert list(rows) == ["name", "address", "corporate_number", "status"]
    assert rows["name"] == {
        "row": "name",
        "nta": "株式会社みなと商事",
        "entry": "株式会社みなと商事",
        "verdict": "match",
        "note": "",
    }
    assert rows["corporate_number"]["nta"] == applied.corporate_number
    assert rows["address"]["note"] == "丁目の表記のみ異なる"
    event = events("registry.facts.nta_confirmed")[0]
    assert event.subject_id == applied.public_id and event.data["rows"] == facts.nta_confirmation


def test_the_approval_page_confirms_the_nta_record_row_by_row(desk, applied):
    _published(applied, close_date=date(2026, 1, 31), close_cause="01")
    page = desk.get(decide_url(applied, "approve")).content.decode()
    row = page.split('data-testid="nta-row-status"')[1].split("</fieldset>")[0]
    assert "閉鎖" in row and "2026" in row and "一致" in row and "不一致" in row
    name_row = page.split('data-testid="nta-row-name"')[1].split("</fieldset>")[0]
    assert name_row.count("株式会社みなと商事") == 2  # the NTA's and the application's, side by side
    data = {"company_registry_number": applied.corporate_number[1:], **READ_FROM_EVIDENCE, "nta_status": "mismatch"}
    response = decide(desk, decide_url(applied, "approve"), data)
    assert response.status_code == 200
    assert "理由" in str(response.context["form"].errors["nta_status_note"])
    data["nta_status_note"] = "閉鎖されている"
    response = decide(desk, decide_url(applied, "approve"), data)
    assert response.status_code == 200
    assert "差し戻" in response.content.decode()
    applied.refresh_from_db()
    assert applied.status == Subscriber.Status.APPLIED
    assert events("registry.facts.approve_refused")[0].data["code"] == "nta_mismatch"


def test_the_review_page_restates_the_confirmation_given_at_the_approval(desk, applied, reception):
    _published(applied)
    _approve(applied, reception, _confirm(address=("match", "丁目の表記のみ異なる")))
    page = desk.get(review_url(applied)).content.decode()
    table = page.split('data-testid="nta-confirmation"')[1].split("</table>")[0]
    assert "本店の所在地" in table and "丁目の表記のみ異なる" in table and table.count("一致") == 4
