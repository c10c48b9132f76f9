"""The application form (§3.1, §3.1.1) and its bad input: a clear Japanese message, nothing stored."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from conftest import hidden_fields, otp_login, post_through_confirmation
from registry.models import Membership, RegistryEvidence, StagedEvidence, Subscriber, SubscriberFacts

from .conftest import FACTS, apply, approve, corporate_number, events, make_pdf

pytestmark = pytest.mark.django_db

URL = "/app/apply/"


def form_data(**overrides):
    data: dict = {
        "kind": "corporation",
        "corporate_number": corporate_number(),
        **{k: v for k, v in FACTS.items() if v is not None},
        "issued_on": (timezone.localdate() - timedelta(days=10)).isoformat(),
        "terms_accepted": "on",
        "antisocial_declared": "on",
    }
    data["evidence_file"] = SimpleUploadedFile("touki.pdf", make_pdf(), content_type="application/pdf")
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def nothing_stored():
    return not (
        Subscriber.objects.exists()
        or SubscriberFacts.objects.exists()
        or RegistryEvidence.objects.exists()
        or Membership.objects.exists()
        or StagedEvidence.objects.exists()
    )


def submit(client, data):
    """入力 → 確認 → 完了, as the applicant does it."""
    return post_through_confirmation(client, URL, data)


def test_a_subscriber_account_applies_for_its_corporation(
    client, subscriber_member, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(subscriber_member)
    with django_capture_on_commit_callbacks(execute=True):
        response = submit(client, form_data())
    assert response.status_code == 302, response.context["form"].errors
    subscriber = Subscriber.objects.get()
    assert subscriber.status == Subscriber.Status.APPLIED
    assert subscriber.terms_version
    facts = subscriber.facts.get()
    assert facts.state == SubscriberFacts.State.PENDING
    assert facts.representative_name == "山田 太郎"
    evidence = facts.evidence.get()
    assert len(evidence.sha256) == 64 and evidence.page_count == 1
    assert Membership.objects.get(user=subscriber_member).role == Membership.Role.APPLICANT
    assert events("registry.subscriber.applied")[0].subject_id == subscriber.public_id
    assert events("registry.evidence.uploaded")
    assert [m.to for m in mailoutbox] == [[subscriber_member.email]]
    assert "受け付けました" in mailoutbox[0].subject


def test_full_width_digits_and_hyphens_in_the_corporate_number_are_normalised(client, subscriber_member):
    client.force_login(subscriber_member)
    number = corporate_number()
    spaced = "".join(chr(ord(c) + 0xFEE0) for c in number[:4]) + "－" + number[4:8] + "-" + number[8:]
    assert submit(client, form_data(corporate_number=spaced)).status_code == 302
    assert Subscriber.objects.get().corporate_number == number


def test_a_sole_proprietor_applies_with_a_date_of_birth_and_no_corporate_number(client, subscriber_member):
    client.force_login(subscriber_member)
    data = form_data(kind="sole_proprietor", corporate_number="", representative_birth_date="1980-04-01")
    response = submit(client, data)
    assert response.status_code == 302
    subscriber = Subscriber.objects.get()
    assert subscriber.kind == "sole_proprietor" and subscriber.corporate_number == ""
    assert subscriber.facts.get().nta_check == {}


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"corporate_number": "2" + corporate_number()[1:]}, "corporate_number", "検査用数字"),  # wrong check digit
        ({"corporate_number": corporate_number()[1:]}, "corporate_number", "13桁"),  # the 12-digit registry number
        ({"corporate_number": "12345678901AB"}, "corporate_number", "数字13桁"),  # letters
        ({"corporate_number": ""}, "corporate_number", "法人番号を入力"),  # missing for a corporation
        (
            {"evidence_file": SimpleUploadedFile("a.pdf", b"GIF89a not a pdf")},
            "evidence_file",
            "PDFファイルではありません",
        ),
        (
            {"evidence_file": SimpleUploadedFile("a.pdf", b"%PDF-1.7\n garbage without objects")},
            "evidence_file",
            "読み取れません",
        ),
        ({"evidence_file": SimpleUploadedFile("a.pdf", make_pdf(encrypt="secret"))}, "evidence_file", "暗号化"),
        ({"evidence_file": SimpleUploadedFile("a.pdf", b"")}, "evidence_file", "空"),
        ({"evidence_file": None}, "evidence_file", "照会番号を提出"),  # no evidence at all
        (
            {"issued_on": (timezone.localdate() - timedelta(days=120)).isoformat()},
            "issued_on",
            "3か月以内",
        ),  # evidence too old
        ({"issued_on": (timezone.localdate() + timedelta(days=1)).isoformat()}, "issued_on", "未来"),
        ({"representative_phone": "12-34"}, "representative_phone", "電話番号"),
        ({"terms_accepted": None}, "terms_accepted", "必須"),
        ({"antisocial_declared": None}, "antisocial_declared", "必須"),
        ({"kind": "sole_proprietor", "corporate_number": ""}, "representative_birth_date", "生年月日"),
        ({"online_reference": "ABC123456"}, "online_reference", "どちらか一方"),  # PDF and reference together
    ],
)
def test_bad_input_is_refused_with_a_clear_japanese_message_and_nothing_stored(
    client, subscriber_member, overrides, field, message
):
    client.force_login(subscriber_member)
    response = client.post(URL, form_data(**overrides))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors, errors
    assert message in " ".join(errors[field]), errors[field]
    assert nothing_stored()


def test_an_oversized_file_is_refused(client, subscriber_member, settings):
    settings.MAX_UPLOAD_SIZE = 1024 * 1024
    client.force_login(subscriber_member)
    big = make_pdf() + b"%" + b"x" * (1024 * 1024)
    response = client.post(URL, form_data(evidence_file=SimpleUploadedFile("big.pdf", big)))
    # Over the request limit the middleware answers 413 before the form; either way nothing is stored.
    assert response.status_code in (200, 413)
    if response.status_code == 200:
        assert "大きすぎます" in " ".join(response.context["form"].errors["evidence_file"])
    assert nothing_stored()


def test_a_file_over_the_upload_limit_but_inside_the_request_limit_gets_the_form_message(subscriber_member):
    from registry.forms import ApplicationForm

    data = form_data()
    upload = data.pop("evidence_file")
    upload.size = 50 * 1024 * 1024  # as the upload handler would report it
    form = ApplicationForm(data, {"evidence_file": upload})
    assert not form.is_valid()
    assert "大きすぎます" in str(form.errors["evidence_file"])


def test_the_online_registry_reference_is_accepted_instead_of_a_pdf(client, subscriber_member):
    client.force_login(subscriber_member)
    response = submit(client, form_data(evidence_file=None, online_reference="１２３４５６７８９０"))
    assert response.status_code == 302
    evidence = RegistryEvidence.objects.get()
    assert evidence.kind == "online" and evidence.online_reference == "1234567890"


def test_the_form_answers_the_same_whether_or_not_the_corporate_number_is_a_subscriber(
    client, subscriber_member, other_subscriber_member, reception, django_capture_on_commit_callbacks
):
    """§2.7.1: what the service holds about its subscribers is confidential; whether a company is one
    is not told to whoever types its number. The application goes to reception like any other."""
    from registry import services

    existing = apply(subscriber_member)
    approve(existing, reception)
    mail.outbox.clear()
    client.force_login(other_subscriber_member)
    with django_capture_on_commit_callbacks(execute=True):
        response = submit(client, form_data())
    assert response.status_code == 302 and response["Location"] == reverse("registry:apply_done")
    second = Subscriber.objects.get(memberships__user=other_subscriber_member)
    assert second.status == Subscriber.Status.APPLIED
    assert second.corporate_number == existing.corporate_number
    assert "既に" not in client.get(reverse("registry:home")).content.decode()
    # Its administrators are told, not the applicant.
    notice = [m for m in mail.outbox if subscriber_member.email in m.to]
    assert notice and "同じ法人番号" in notice[0].body
    assert not any("同じ法人番号" in m.body for m in mail.outbox if other_subscriber_member.email in m.to)
    applied_event = events("registry.subscriber.applied")[-1]
    assert applied_event.data["same_number_as"] == [existing.public_id]
    # Reception sees it, and cannot approve a second subscriber for one company.
    otp_login(client, reception)
    review = client.get(reverse("admin:registry_subscriber_review", args=[second.pk])).content.decode()
    assert 'data-testid="same-number"' in review and str(existing) in review
    with pytest.raises(services.RegistryError) as exc:
        approve(second, reception)
    assert exc.value.code == "duplicate_corporate_number"
    facts = second.open_facts
    assert facts is not None
    services.reject_facts(facts, actor=reception, reason="既存の利用者の担当者として招待を受けてください")
    assert Subscriber.objects.get(pk=second.pk).status == Subscriber.Status.REJECTED


def test_two_applications_for_one_number_both_wait_for_reception_and_only_one_is_approved(
    subscriber_member, other_subscriber_member, reception
):
    from registry import services

    first = apply(subscriber_member)
    second = apply(other_subscriber_member)
    assert first.corporate_number == second.corporate_number
    approve(second, reception)
    with pytest.raises(services.RegistryError):
        approve(first, reception)
    assert events("registry.facts.approve_refused")[-1].data["code"] == "duplicate_corporate_number"


def test_a_rejected_corporation_may_apply_again(subscriber_member, other_subscriber_member, reception):
    from registry import services

    first = apply(subscriber_member)
    services.reject_facts(first.open_facts, actor=reception, reason="証明書が古い")
    second = apply(other_subscriber_member)
    assert second.corporate_number == first.corporate_number


def test_a_member_cannot_apply_twice(client, subscriber_member):
    apply(subscriber_member)
    client.force_login(subscriber_member)
    response = client.post(URL, form_data(corporate_number=corporate_number("011001012345")))
    assert response.status_code == 302
    assert Subscriber.objects.count() == 1


def test_the_form_page_renders_with_one_h1_and_no_inline_style(client, subscriber_member):
    client.force_login(subscriber_member)
    body = client.get(URL).content.decode()
    assert body.count("<h1") == 1
    assert "style=" not in body and "<script>" not in body
    assert "利用約款" in body


def test_the_nta_lookup_is_recorded_for_the_reviewer_when_the_number_is_unknown(subscriber_member):
    subscriber = apply(subscriber_member)
    check = subscriber.facts.get().nta_check
    assert check["status"] == "unknown"
    assert check["findings"] == ["unknown"]
    assert AuditEvent.objects.get(event_type="registry.subscriber.applied").data["nta_findings"] == ["unknown"]


def test_with_published_terms_the_application_is_the_acceptance_the_member_area_asks_for(client, subscriber_member):
    from conftest import make_staff
    from mynatrust.repository import services as repository
    from mynatrust.repository.terms import has_accepted_current_terms

    operator = make_staff("service_operator", "operator@staff.example.jp")
    manager = make_staff("service_manager", "manager@staff.example.jp")
    draft = repository.draft_document(
        kind="terms",
        version="2026-12",
        title="利用約款 2026-12",
        body="第1条",
        effective_at=timezone.now(),
        change_summary="改定",
        actor=operator,
    )
    repository.approve_document(draft, actor=manager)
    client.force_login(subscriber_member)
    assert client.get(URL).status_code == 200  # the form itself is not behind the terms page
    response = submit(client, form_data())
    assert response.status_code == 302
    assert Subscriber.objects.get().terms_version == "2026-12"
    assert has_accepted_current_terms(subscriber_member)
    assert client.get("/app/").status_code == 200  # not sent to accept the terms again


# --- 入力 → 確認 → 完了 --------------------------------------------------------------------------


def confirm_page(client, data=None):
    response = client.post(URL, data or form_data())
    body = response.content.decode()
    assert response.status_code == 200 and 'data-testid="submit-confirmed"' in body, body[:2000]
    return body


def test_the_application_goes_input_confirm_done(client, subscriber_member):
    client.force_login(subscriber_member)
    body = confirm_page(client)
    # Every value restated (a choice by its label), and the file by name, size, pages and digest.
    assert "利用申込（確認）" in body and 'aria-current="step"' in body
    assert "株式会社みなと商事" in body and f"<dd>{Subscriber.Kind.CORPORATION.label}</dd>" in body
    assert "山田 太郎" in body and "0312345678" in body and "はい" in body
    assert "touki.pdf" in body and "1ページ" in body
    digest = StagedEvidence.objects.get().sha256
    assert f"<code>{digest}</code>" in body
    assert "申し込む" in body and "修正する" in body
    # Nothing of the application stored yet: the file is held only until the final button.
    assert not Subscriber.objects.exists() and not RegistryEvidence.objects.exists()
    assert StagedEvidence.objects.count() == 1
    # 修正する: back to the filled form, the chosen file kept.
    back = client.post(URL, {**hidden_fields(body), "edit": "1"})
    edit = back.content.decode()
    assert back.status_code == 200 and "入力内容を確認する" in edit
    assert 'value="山田 太郎"' in edit and "touki.pdf" in edit
    assert not Subscriber.objects.exists()
    # Confirm again from the edited form (no new file: the kept one goes with it), then submit.
    again = client.post(URL, {**hidden_fields(edit), **{k: v for k, v in form_data().items() if k != "evidence_file"}})
    assert 'data-testid="submit-confirmed"' in again.content.decode() and "touki.pdf" in again.content.decode()
    done = client.post(URL, hidden_fields(again.content.decode()))
    assert done.status_code == 302 and done["Location"] == reverse("registry:apply_done")
    facts = Subscriber.objects.get().facts.get()
    assert facts.evidence.get().sha256 == digest
    assert not StagedEvidence.objects.exists()  # the held file became the application's, once
    page = client.get(done["Location"]).content.decode()
    assert "利用申込（完了）" in page and facts.reception_number in page
    assert "審査の目安" in page and reverse("registry:receipt", kwargs={"version": 1}) in page


def test_the_confirmation_page_describes_the_file_in_english(client, subscriber_member, settings):
    client.force_login(subscriber_member)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    body = confirm_page(client)
    assert re.search(r"touki\.pdf \([^()]+, 1 pages\)<br>SHA-256 <code>", body), body
    assert "（" not in body and "、" not in body


def test_the_confirmation_page_holds_no_file_in_the_page_or_the_session(client, subscriber_member):
    client.force_login(subscriber_member)
    body = confirm_page(client)
    assert 'type="file"' not in body and "%PDF" not in body and 'enctype="multipart/form-data"' not in body
    assert all(b"%PDF" not in str(value).encode() for value in client.session.values())


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda fields: {**fields, "organisation_name": "株式会社すりかえ"}, id="changed-value"),
        pytest.param(lambda fields: {**fields, "kind": "sole_proprietor"}, id="changed-choice"),
        pytest.param(lambda fields: {**fields, "confirmation": fields["confirmation"][:-4] + "AAAA"}, id="forged"),
        pytest.param(lambda fields: {k: v for k, v in fields.items() if k != "confirmation"}, id="no-token"),
    ],
)
def test_a_tampered_confirmation_is_refused_recorded_and_leaves_nothing(client, subscriber_member, tamper):
    client.force_login(subscriber_member)
    fields = tamper(hidden_fields(confirm_page(client)))
    response = client.post(URL, fields)
    assert response.status_code == 200
    assert "もう一度" in " ".join(response.context["form"].non_field_errors())
    assert nothing_stored()  # no application, no evidence and no held file
    refused = events("registry.subscriber.apply_refused")
    assert refused and refused[-1].data["code"].startswith("confirmation_")


def test_a_replayed_confirmation_is_refused_and_recorded(client, subscriber_member):
    client.force_login(subscriber_member)
    first = hidden_fields(confirm_page(client))
    second = hidden_fields(confirm_page(client))  # a new confirmation replaces the first
    assert client.post(URL, first).status_code == 200
    assert events("registry.subscriber.apply_refused")[-1].data["code"] == "confirmation_used"
    assert nothing_stored()
    # The replaced one is gone with its file: the applicant confirms again.
    assert client.post(URL, second).status_code == 200 and nothing_stored()
    fields = hidden_fields(confirm_page(client))
    assert client.post(URL, fields).status_code == 302
    # Sent once: the same confirmation again changes nothing and is on the record.
    assert client.post(URL, fields).status_code == 302
    assert Subscriber.objects.count() == 1 and RegistryEvidence.objects.count() == 1
    assert events("registry.subscriber.apply_refused")[-1].data["code"] == "confirmation_used"


def test_another_accounts_confirmation_is_refused_and_theirs_is_untouched(
    client, subscriber_member, other_subscriber_member
):
    client.force_login(subscriber_member)
    theirs = hidden_fields(confirm_page(client))
    client.force_login(other_subscriber_member)
    response = client.post(URL, theirs)
    assert response.status_code == 200 and not Subscriber.objects.exists()
    refused = events("registry.subscriber.apply_refused")[-1]
    assert refused.data["code"] == "confirmation_other_account" and refused.actor_id == str(other_subscriber_member.pk)
    assert StagedEvidence.objects.get().owner == subscriber_member  # the owner's held file stays
    client.force_login(subscriber_member)
    assert client.post(URL, theirs).status_code == 302  # and the owner still submits it
    assert Membership.objects.get().user == subscriber_member


def test_an_expired_confirmation_is_refused_and_its_file_removed(client, subscriber_member, settings):
    import time_machine

    client.force_login(subscriber_member)
    fields = hidden_fields(confirm_page(client))
    later = timezone.now() + timedelta(seconds=settings.REGISTRY_CONFIRMATION_SECONDS + 1)
    with time_machine.travel(later, tick=False):
        response = client.post(URL, fields)
    assert response.status_code == 200 and nothing_stored()
    assert events("registry.subscriber.apply_refused")[-1].data["code"] == "confirmation_expired"


def test_an_abandoned_confirmation_is_removed_once_expired(subscriber_member, other_subscriber_member, client):
    """Nobody pressed a button: the held file goes at the next retention run after its expiry, or
    when anyone reaches a confirmation page."""
    from django.core.management import call_command

    client.force_login(subscriber_member)
    confirm_page(client)
    call_command("apply_retention", "--kind", "registry.staged_evidence")
    assert StagedEvidence.objects.count() == 1  # not yet expired: kept
    StagedEvidence.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    call_command("apply_retention", "--kind", "registry.staged_evidence")
    assert not StagedEvidence.objects.exists()
    confirm_page(client)
    StagedEvidence.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    client.force_login(other_subscriber_member)
    confirm_page(client)
    assert StagedEvidence.objects.get().owner == other_subscriber_member
