"""Subscriber pages under /app/delegations/: drafting, downloads, upload, list, update, revoke,
test cards, and tenant isolation."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.urls import reverse

from conftest import hidden_fields, post_through_confirmation
from delegations.models import Delegation, SignedFile
from delegations.signatures import verify_pades
from delegations.tests.lifecycle import AGENT_NAME, draft_values, make_active, make_finalised, signed_pair

pytestmark = pytest.mark.django_db


def url(name: str, delegation: Delegation | None = None, **kwargs: Any) -> str:
    if delegation is not None:
        kwargs["public_id"] = delegation.public_id
    return reverse(f"delegations:{name}", kwargs=kwargs)


def _form(**overrides: Any) -> dict[str, Any]:
    values = draft_values(**overrides)
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in values.items()}


def save(client: Any, address: str, data: dict[str, Any]) -> Any:
    """入力 → 確認 → 完了, as the subscriber does it."""
    return post_through_confirmation(client, address, data)


def test_a_new_draft_goes_input_confirm_done(client, subscriber, member):
    client.force_login(member)
    confirm = client.post(url("new"), _form())
    html = confirm.content.decode()
    assert confirm.status_code == 200 and "電子委任状の作成（確認）" in html and 'aria-current="step"' in html
    assert AGENT_NAME in html and 'data-testid="submit-confirmed"' in html
    assert '<span class="step-number">2</span> 確認</li>' in html  # the form's steps, not the lifecycle's
    assert not Delegation.objects.exists()  # nothing saved before the confirmation
    back = client.post(url("new"), {**hidden_fields(html), "edit": "1"})
    assert "入力内容を確認する" in back.content.decode() and f'value="{AGENT_NAME}"' in back.content.decode()
    assert not Delegation.objects.exists()
    done = client.post(url("new"), hidden_fields(html))
    delegation = Delegation.objects.get()
    assert done.status_code == 302 and done["Location"] == url("saved", delegation)
    page = client.get(done["Location"]).content.decode()
    assert "下書きの保存（完了）" in page and AGENT_NAME in page and url("detail", delegation) in page


def test_editing_a_draft_goes_input_confirm_done(client, subscriber, member):
    client.force_login(member)
    save(client, url("new"), _form())
    delegation = Delegation.objects.get()
    confirm = client.post(url("edit", delegation), _form(agent_title="経理部長"))
    html = confirm.content.decode()
    assert "下書きの編集（確認）" in html and "経理部長" in html
    delegation.refresh_from_db()
    assert delegation.agent_title != "経理部長"  # unchanged before the confirmation
    done = client.post(url("edit", delegation), hidden_fields(html))
    assert done.status_code == 302 and done["Location"] == url("saved", delegation)
    delegation.refresh_from_db()
    assert delegation.agent_title == "経理部長"


def test_the_saved_page_is_the_members_own(client, subscriber, member, other_subscriber, other_member):
    client.force_login(member)
    save(client, url("new"), _form())
    delegation = Delegation.objects.get()
    client.force_login(other_member)
    assert client.get(url("saved", delegation)).status_code == 404


def test_the_draft_form_shows_the_principal_from_the_register_and_has_no_field_for_it(client, subscriber, member):
    client.force_login(member)
    page = client.get(url("new"))
    html = page.content.decode()
    assert page.status_code == 200 and html.count("<h1") == 1
    assert "代表 太郎" in html and subscriber.corporate_number in html
    assert 'name="representative_name"' not in html and 'name="corporate_number"' not in html
    response = save(client, url("new"), {**_form(), "representative_name": "偽物 次郎"})
    delegation = Delegation.objects.get()
    assert response.status_code == 302 and response["Location"] == url("saved", delegation)
    assert delegation.agent_name == AGENT_NAME and delegation.status == "draft"


def test_draft_errors_come_back_by_field(client, subscriber, member):
    client.force_login(member)
    response = client.post(url("new"), _form(valid_from="2027-02-01", valid_until="2027-01-01", agent_title=""))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "valid_until" in errors
    # summarised at the top of the form, each entry leading to its field
    html = response.content.decode()
    assert html.index('data-testid="error-summary"') < html.index('name="agent_name"')
    assert '<a href="#id_valid_until">委任期間の終期：' in html
    assert not Delegation.objects.exists()


def test_finalising_gives_the_id_and_the_four_downloads(client, subscriber, member):
    client.force_login(member)
    save(client, url("new"), _form())
    delegation = Delegation.objects.get()
    client.post(url("finalise", delegation))
    delegation.refresh_from_db()
    assert delegation.status == "awaiting_signatures"
    detail = client.get(url("detail", delegation)).content.decode()
    assert delegation.delegation_id in detail
    for what, kind in [
        ("delegation.pdf", "application/pdf"),
        ("delegation.xml", "application/xml"),
        ("acceptance.pdf", "application/pdf"),
        ("acceptance.xml", "application/xml"),
    ]:
        response = client.get(url("download", delegation, what=what))
        assert response.status_code == 200 and response["Content-Type"] == kind
        assert "attachment" in response["Content-Disposition"]
    assert client.get(url("download", delegation, what="secret.key")).status_code == 404


def test_download_names_are_the_same_in_every_browser_when_the_check_symbol_is_not_a_letter(client, subscriber, member):
    """``*`` is not allowed in Windows file names and browsers replace it each their own way."""
    client.force_login(member)
    delegation = make_finalised(subscriber, member)
    Delegation.objects.filter(pk=delegation.pk).update(delegation_id="0000-0000-0001-0*")
    delegation.refresh_from_db()
    for what, name in [
        ("delegation.pdf", "delegation-0000-0000-0001-0_.pdf"),
        ("acceptance.xml", "acceptance-0000-0000-0001-0_.xml"),
    ]:
        response = client.get(url("download", delegation, what=what))
        assert response["Content-Disposition"] == f'attachment; filename="{name}"'


def test_uploading_both_signed_files_through_the_page_activates(client, subscriber, member, trusted_pki):
    client.force_login(member)
    delegation = make_finalised(subscriber, member)
    principal, agent = signed_pair(delegation, trusted_pki)
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.post(url("upload", delegation, role="principal"), {"file": SimpleUploadedFile("p.pdf", principal)})
    response = client.post(
        url("upload", delegation, role="agent"), {"file": SimpleUploadedFile("a.pdf", agent)}, follow=True
    )
    assert "現在の状態は「有効」です" in response.content.decode()
    delegation.refresh_from_db()
    assert delegation.status == "active"
    stored = client.get(url("signed_file", delegation, role="principal"))
    assert stored.content == principal
    report = client.get(url("report", delegation, role="principal"))
    assert report.status_code == 200 and "TOTAL_PASSED" in report.content.decode()
    assert report.content.decode().count("<h1") == 1
    assert client.get(url("report", delegation, role="agent") + "?format=json").json()["indication"] == "TOTAL_PASSED"


def test_a_refused_upload_shows_the_reason_on_the_page(client, subscriber, member, trusted_pki):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(member)
    delegation = make_finalised(subscriber, member)
    bad = trusted_pki.sign_pdf(bytes(delegation.pdf or b""), "agent")
    response = client.post(
        url("upload", delegation, role="principal"), {"file": SimpleUploadedFile("p.pdf", bad)}, follow=True
    )
    html = response.content.decode()
    assert "登録されている代表者と一致しません" in html and "受任花子" in html
    assert not SignedFile.objects.exists()


def test_update_and_revoke_through_the_pages(client, subscriber, member, trusted_pki):
    client.force_login(member)
    old = make_active(subscriber, member, trusted_pki)
    response = client.post(url("update", old))
    draft = Delegation.objects.get(replaces=old)
    assert response["Location"] == url("edit", draft)
    assert client.get(url("edit", draft)).status_code == 200
    assert client.get(url("revoke", old)).status_code == 200
    client.post(url("revoke", old), {"reason": "退職のため"})
    old.refresh_from_db()
    draft.refresh_from_db()
    assert old.status == "revoked" and draft.status == "rejected"


def test_a_test_card_signs_the_generated_pdf_so_it_verifies(client, subscriber, member, trusted_pki, policy):
    client.force_login(member)
    delegation = make_finalised(subscriber, member)
    response = client.post(url("test_card", delegation, role="principal"))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    from delegations import trust

    report = verify_pades(response.content, trust.verification_policy())
    assert report.passed and report.signer and report.signer["name"] == "代表\u3000太郎"


def test_test_cards_do_not_exist_outside_the_demo(client, subscriber, member, trusted_pki, settings):
    client.force_login(member)
    delegation = make_finalised(subscriber, member)
    settings.DEMO_MODE = False
    assert client.post(url("test_card", delegation, role="principal")).status_code == 404
    assert "テストカード" not in client.get(url("detail", delegation)).content.decode()


def test_the_list_filters_and_paginates_with_a_constant_number_of_queries(
    client, subscriber, member, django_assert_num_queries
):
    client.force_login(member)
    today = date.today()
    rows = [
        Delegation(
            subscriber=subscriber,
            created_by=member,
            **{**draft_values(agent_name=f"受任 {i}号"), "valid_until": today + timedelta(days=i + 1)},
        )
        for i in range(120)
    ]
    Delegation.objects.bulk_create(rows)
    client.get(url("list"))  # warm caches (content types, session)
    # session, user, banners, notices, membership, subscriber facts (twice), the counts, count, one
    # page of rows, the delegations due for periodic confirmation (§4.3)
    with django_assert_num_queries(11):
        client.get(url("list"))
    Delegation.objects.bulk_create([Delegation(subscriber=subscriber, created_by=member, **draft_values())] * 1)
    with django_assert_num_queries(11):
        page = client.get(url("list") + "?page=3")
    assert page.status_code == 200
    assert page.content.decode().count("<h1") == 1
    filtered = client.get(url("list"), {"agent": "受任 7号", "status": "draft"})
    assert filtered.context["page"].paginator.count == 1
    assert client.get(url("list"), {"status": "valid"}).context["page"].paginator.count == 0
    on = client.get(url("list"), {"on": (today + timedelta(days=100)).isoformat()})
    assert on.context["page"].paginator.count == 22  # valid_until today+100 … today+120, and the extra row


def test_another_subscriber_gets_404_everywhere(
    client, subscriber, member, other_subscriber, other_member, trusted_pki
):
    mine = make_active(subscriber, member, trusted_pki)
    draft = make_finalised(subscriber, member)
    client.force_login(other_member)
    for path in [
        url("detail", mine),
        url("edit", mine),
        url("download", draft, what="delegation.pdf"),
        url("signed_file", mine, role="principal"),
        url("report", mine, role="principal"),
        url("revoke", mine),
    ]:
        assert client.get(path).status_code == 404, path
    for path in [
        url("finalise", mine),
        url("update", mine),
        url("revoke", mine),
        url("upload", draft, role="principal"),
        url("test_card", draft, role="principal"),
    ]:
        assert client.post(path, {"reason": "x"}).status_code == 404, path
    assert mine.delegation_id not in client.get(url("list")).content.decode()
    mine.refresh_from_db()
    assert mine.status == "active"
    # Each attempt is on the record as one on another subscriber's object (§6.2.1).
    from datetime import timedelta

    from django.utils import timezone

    from audit import tally
    from audit.models import AuditEvent

    tally.flush(now=timezone.now() + timedelta(minutes=2))
    recorded = AuditEvent.objects.filter(event_type="access.not_found", actor_id=str(other_member.pk))
    assert recorded.count() == 11  # one per method and path
    assert {e.data["reason"] for e in recorded} == {"other_tenant"}


def test_an_account_without_a_subscriber_and_other_audiences_are_kept_out(client, db, recipient):
    from conftest import make_user

    client.force_login(make_user("lonely@example.jp", "subscriber"))
    assert client.get(url("list")).status_code == 404
    client.force_login(recipient)
    assert client.get(url("list")).status_code == 403
    client.logout()
    assert client.get(url("list")).status_code == 302


def _marked(number: str) -> str:
    return f'<data class="identifier" translate="no" value="{number}">{number}</data>'


def _speaking(client: Any, settings: Any, language: str) -> None:
    if language != settings.LANGUAGE_CODE:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("ja", "電子委任状 ID {id} を付与しました。PDF または XML をダウンロードして署名してください。"),
        ("en", "Delegation ID {id} has been assigned. Download the PDF or XML and sign it."),
    ],
)
def test_the_message_after_finalising_marks_up_the_new_id(client, settings, subscriber, member, language, message):
    """The ID just issued is named as staff pages name it: marked up as an identifier, escaped."""
    client.force_login(member)
    _speaking(client, settings, language)
    save(client, url("new"), _form())
    draft = Delegation.objects.get()
    page = client.post(url("finalise", draft), follow=True).content.decode()
    draft.refresh_from_db()
    assert draft.delegation_id
    assert f'<li class="message success">{message.format(id=_marked(draft.delegation_id))}</li>' in page


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("ja", "変更用の下書きを作成しました。新しい電子委任状が有効になると、{id} は失効します。"),
        (
            "en",
            "A draft for the update was created. When the new electronic delegation becomes active, {id} is superseded.",
        ),
    ],
)
def test_the_message_after_starting_an_update_marks_up_the_original_id(
    client, settings, subscriber, member, trusted_pki, language, message
):
    client.force_login(member)
    old = make_active(subscriber, member, trusted_pki)
    _speaking(client, settings, language)
    page = client.post(url("update", old), follow=True).content.decode()
    assert f'<li class="message success">{message.format(id=_marked(old.delegation_id))}</li>' in page


def _update_whose_original_has_ended(subscriber: Any, member: Any, pki: Any) -> tuple[Delegation, Delegation, bytes]:
    """An update with the agent's acceptance in, its original no longer active (superseded by
    something else meanwhile): the principal's signature is the last one, and activation refuses."""
    from delegations import services

    old = make_active(subscriber, member, pki)
    update = services.finalise_draft(services.start_update(old, actor=member), actor=member)
    principal, agent = signed_pair(update, pki)
    services.submit_signed_file(update, agent, actor=member, role="agent")
    Delegation.objects.filter(pk=old.pk).update(status=Delegation.Status.SUPERSEDED)
    return old, update, principal


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("ja", "変更元の電子委任状（{id}）は既に「変更により失効」のため、この変更は有効にできません。"),
        ("en", 'The original electronic delegation ({id}) is already "Superseded", so this update cannot take effect.'),
    ],
)
def test_the_refusal_to_activate_an_update_marks_up_the_original_id_on_the_page_only(
    client, settings, subscriber, member, trusted_pki, language, message
):
    """The refusal names the original by its ID: marked up on the page, plain text on the record."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from audit.models import AuditEvent

    old, update, principal = _update_whose_original_has_ended(subscriber, member, trusted_pki)
    client.force_login(member)
    _speaking(client, settings, language)
    response = client.post(
        url("upload", update, role="principal"), {"file": SimpleUploadedFile("p.pdf", principal)}, follow=True
    )
    page = response.content.decode()
    assert old.delegation_id
    assert f'<li class="message error">{message.format(id=_marked(old.delegation_id))}</li>' in page
    update.refresh_from_db()
    assert update.status == Delegation.Status.AWAITING_SIGNATURES
    refusal = AuditEvent.objects.filter(event_type="delegations.signed_file.refused").order_by("id").last()
    assert refusal is not None and refusal.data["code"] == "predecessor_not_active"
    assert refusal.data["reason"] == message.format(id=old.delegation_id)
