"""The operators' admin for delegations: search, a readable report, reception's checks, and
revocation with a second staff member's approval. No stored fact is editable."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from django.urls import reverse

from conftest import decide, make_staff, otp_login
from delegations import services
from delegations.models import Delegation, RevocationRequest
from delegations.signatures.testpki import PersonaSpec
from delegations.tests.lifecycle import draft_values, make_active, make_finalised, signed_pair

pytestmark = pytest.mark.django_db


def _change(delegation: Delegation) -> str:
    return reverse("admin:delegations_delegation_change", args=[delegation.pk])


def _action(delegation: Delegation, action: str) -> str:
    return reverse("admin:delegations_delegation_action", args=[delegation.pk, action])


def test_operators_find_a_delegation_by_id_as_typed_and_read_its_report(client, subscriber, member, trusted_pki):
    delegation = make_active(subscriber, member, trusted_pki)
    operator = make_staff("service_operator", "op@staff.example.jp")
    otp_login(client, operator)
    typed = (delegation.delegation_id or "").lower().replace("-", "")
    found = client.get(reverse("admin:delegations_delegation_changelist"), {"q": typed})
    assert found.status_code == 200 and delegation.delegation_id in found.content.decode()
    by_agent = client.get(reverse("admin:delegations_delegation_changelist"), {"q": "受任", "status__exact": "active"})
    assert delegation.delegation_id in by_agent.content.decode()
    page = client.get(_change(delegation)).content.decode()
    assert "TOTAL_PASSED" in page and "代表\u3000太郎" in page and "失効確認" in page
    assert 'name="powers"' not in page  # nothing to edit
    assert client.get(reverse("admin:delegations_delegation_add")).status_code == 403


def signed_with_a_substitute(subscriber: Any, member: Any, trusted_pki: Any) -> Delegation:
    """A delegation whose agent's certificate writes the name with a substitute character."""
    trusted_pki.issue(PersonaSpec("agent_sub2", "代替", name="受任\u3000花子", name_flags="00010", address="大阪府1番"))
    delegation = make_finalised(subscriber, member, agent_name="受任 華子")
    principal, _agent = signed_pair(delegation, trusted_pki)
    services.submit_signed_file(delegation, principal, actor=member, role="principal")
    agent = trusted_pki.sign_pdf(bytes(delegation.acceptance_pdf or b""), "agent_sub2")
    services.submit_signed_file(delegation, agent, actor=member, role="agent")
    return delegation


def test_reception_confirms_a_substitute_match_in_the_admin(client, subscriber, member, trusted_pki):
    delegation = signed_with_a_substitute(subscriber, member, trusted_pki)
    reception = make_staff("reception", "rc@staff.example.jp")
    otp_login(client, reception)
    page = client.get(_change(delegation)).content.decode()
    assert "代替文字の照合結果を確認する" in page
    decide(client, _action(delegation, "confirm"), {"reason": "戸籍の表記を確認"})
    delegation.refresh_from_db()
    assert delegation.status == "active" and delegation.identity_confirmed_by == reception


def test_reception_records_a_qualification_check(client, subscriber, member, trusted_pki):
    delegation = make_finalised(
        subscriber,
        member,
        agent_title="",
        agent_qualification="patent_attorney",
        agent_identifier_kind="qualification_registration_number",
        agent_identifier="P-1",
    )
    for data, role in zip(signed_pair(delegation, trusted_pki), ("principal", "agent"), strict=True):
        services.submit_signed_file(delegation, data, actor=member, role=role)
    otp_login(client, make_staff("reception", "rc@staff.example.jp"))
    response = decide(
        client,
        _action(delegation, "qualification"),
        {
            "channel": "website",
            "method": "日本弁理士会 弁理士ナビ",
            "checked_on": date.today().isoformat(),
            "contact_person": "事務局",
            "result": "confirmed",
            "note": "",
        },
    )
    assert response.status_code == 302
    delegation.refresh_from_db()
    assert delegation.status == "active" and delegation.qualification_check.method == "日本弁理士会 弁理士ナビ"
    assert delegation.qualification_check.professional_body == "日本弁理士会"


def test_an_operator_revocation_takes_effect_only_after_another_operator_approves(
    client, subscriber, member, trusted_pki
):
    delegation = make_active(subscriber, member, trusted_pki)
    first = make_staff("service_operator", "op1@staff.example.jp")
    second = make_staff("service_operator", "op2@staff.example.jp")
    otp_login(client, first)
    decide(client, _action(delegation, "revoke"), {"reason": "不正利用の届出"})
    request = RevocationRequest.objects.get()
    approve = reverse("admin:delegations_revocationrequest_decide", args=[request.pk, "approve"])
    decide(client, approve)
    delegation.refresh_from_db()
    assert delegation.status == "active"  # the requester cannot approve their own request
    otp_login(client, second)
    decide(client, approve)
    delegation.refresh_from_db()
    assert delegation.status == "revoked" and delegation.revoked_by == second


@pytest.mark.parametrize("role", ["auditor", "maintenance", "service_administrator"])
def test_roles_without_delegation_actions_cannot_act(client, subscriber, member, trusted_pki, role: Any):
    delegation = make_active(subscriber, member, trusted_pki)
    otp_login(client, make_staff(role, f"{role}@staff.example.jp"))
    response = client.post(_action(delegation, "revoke"), {"reason": "x"})
    assert response.status_code in (302, 403)
    assert not RevocationRequest.objects.exists()


# --- decisions as pages ----------------------------------------------------------------------------------
def _revocation_waiting(subscriber, member, trusted_pki) -> tuple[Delegation, RevocationRequest, Any]:
    delegation = make_active(subscriber, member, trusted_pki)
    requester = make_staff("service_operator", "op1@staff.example.jp")
    request = services.request_revocation(delegation, actor=requester, reason="不正利用の届出")
    return delegation, request, make_staff("service_operator", "op2@staff.example.jp")


def test_a_revocation_cannot_be_approved_without_its_confirmation_page(client, subscriber, member, trusted_pki):
    from audit.models import AuditEvent

    delegation, request, approver = _revocation_waiting(subscriber, member, trusted_pki)
    otp_login(client, approver)
    url = reverse("admin:delegations_revocationrequest_decide", args=[request.pk, "approve"])
    # the old bulk action is gone, and a POST that did not come from the confirmation page does nothing
    client.post(
        reverse("admin:delegations_revocationrequest_changelist"),
        {"action": "approve", "_selected_action": [request.pk]},
    )
    response = client.post(url, {"reason": ""})
    assert response.status_code == 302
    delegation.refresh_from_db()
    assert delegation.status == "active"
    assert AuditEvent.objects.filter(event_type="staff.decision_refused", data__decision="revocation.approve").exists()
    # a token issued to someone else, or for another decision, does not do either
    reject_page = client.get(reverse("admin:delegations_revocationrequest_decide", args=[request.pk, "reject"]))
    token = reject_page.content.decode().split('name="confirmation" value="')[1].split('"')[0]
    client.post(url, {"confirmation": token})
    delegation.refresh_from_db()
    assert delegation.status == "active"


def test_the_revocation_page_offers_the_decisions_and_the_confirmation_restates_them(
    client, subscriber, member, trusted_pki
):
    delegation, request, approver = _revocation_waiting(subscriber, member, trusted_pki)
    otp_login(client, approver)
    item = client.get(reverse("admin:delegations_revocationrequest_change", args=[request.pk])).content.decode()
    approve = reverse("admin:delegations_revocationrequest_decide", args=[request.pk, "approve"])
    assert approve in item and "取消を承認する" in item
    page = client.get(approve).content.decode()
    for fact in (delegation.delegation_id, delegation.agent_name, "不正利用の届出", "op1", "取り消します"):
        assert fact in page, fact
    response = decide(client, approve)
    assert response["Location"] == reverse("admin:delegations_revocationrequest_change", args=[request.pk])
    delegation.refresh_from_db()
    assert delegation.status == "revoked"
    done = client.get(response["Location"]).content.decode()
    assert "失効しました" in done and "承認" in done


def test_rejecting_a_revocation_needs_a_reason(client, subscriber, member, trusted_pki):
    _delegation, request, approver = _revocation_waiting(subscriber, member, trusted_pki)
    otp_login(client, approver)
    url = reverse("admin:delegations_revocationrequest_decide", args=[request.pk, "reject"])
    response = decide(client, url, {"reason": ""})
    assert response.status_code == 200 and "このフィールドは必須です" in response.content.decode()
    request.refresh_from_db()
    assert request.decision == "pending"
    decide(client, url, {"reason": "本人確認の結果、届出は誤りでした"})
    request.refresh_from_db()
    assert request.decision == "rejected"


def _outside_identifiers(html: str) -> str:
    """The page's body without the elements that mark up identifiers."""
    body = html.split("<body", 1)[1]
    return re.sub(r'<data class="identifier" translate="no" value="[^"]*">[^<]*</data>', " ", body)


def test_decision_pages_mark_up_the_delegation_id_as_an_identifier(client, subscriber, member, trusted_pki):
    """The check that a Japanese page has no English word skips identifiers by their markup, so the
    ID must be marked up wherever the item and its confirmation pages show it (facts, breadcrumbs,
    heading)."""
    delegation, request, approver = _revocation_waiting(subscriber, member, trusted_pki)
    otp_login(client, approver)
    assert delegation.delegation_id
    marked = f'<data class="identifier" translate="no" value="{delegation.delegation_id}">'
    for url in (
        reverse("admin:delegations_revocationrequest_change", args=[request.pk]),
        reverse("admin:delegations_revocationrequest_decide", args=[request.pk, "approve"]),
        reverse("admin:delegations_revocationrequest_decide", args=[request.pk, "reject"]),
    ):
        html = client.get(url).content.decode()
        assert marked in html, url
        assert delegation.delegation_id not in _outside_identifiers(html), url


@pytest.mark.parametrize(
    ("verb", "language", "message"),
    [
        ("approve", "ja", "取消を承認しました。電子委任状 {id} は失効しました。"),
        ("reject", "ja", "取消申請を却下しました。電子委任状 {id} は引き続き有効です。"),
        ("approve", "en", "Revocation approved. Delegation {id} is revoked."),
        ("reject", "en", "Revocation request rejected. Delegation {id} remains active."),
    ],
)
def test_the_decision_message_marks_up_the_delegation_id(
    client, settings, subscriber, member, trusted_pki, verb, language, message
):
    """The message after a decision names the delegation as every staff page does: its ID marked up
    as an identifier, in Japanese by default and in English from the catalogue."""
    delegation, request, approver = _revocation_waiting(subscriber, member, trusted_pki)
    otp_login(client, approver)
    if language != settings.LANGUAGE_CODE:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    url = reverse("admin:delegations_revocationrequest_decide", args=[request.pk, verb])
    response = decide(client, url, {"reason": "本人確認の結果、届出は誤りでした"})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    number = delegation.delegation_id
    marked = f'<data class="identifier" translate="no" value="{number}">{number}</data>'
    assert f'<li class="success">{message.format(id=marked)}</li>' in page


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("ja", "変更元の電子委任状（{id}）は既に「変更により失効」のため、この変更は有効にできません。"),
        ("en", 'The original electronic delegation ({id}) is already "Superseded", so this update cannot take effect.'),
    ],
)
def test_a_refused_confirmation_marks_up_the_original_id_in_the_form_error(
    client, settings, subscriber, member, trusted_pki, language, message
):
    """Reception confirms the substitute characters of an update whose original is no longer active:
    the refusal shown above the decision form names the original with its ID marked up."""
    trusted_pki.issue(PersonaSpec("agent_sub3", "代替", name="受任\u3000花子", name_flags="00010", address="大阪府1番"))
    old = make_active(subscriber, member, trusted_pki)
    update = services.start_update(old, actor=member)
    services.edit_draft(update, actor=member, values=draft_values(agent_name="受任 華子"))
    update = services.finalise_draft(update, actor=member)
    principal, _agent = signed_pair(update, trusted_pki)
    services.submit_signed_file(update, principal, actor=member, role="principal")
    agent = trusted_pki.sign_pdf(bytes(update.acceptance_pdf or b""), "agent_sub3")
    services.submit_signed_file(update, agent, actor=member, role="agent")
    Delegation.objects.filter(pk=old.pk).update(status=Delegation.Status.SUPERSEDED)
    otp_login(client, make_staff("reception", "rc@staff.example.jp"))
    if language != settings.LANGUAGE_CODE:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    page = decide(client, _action(update, "confirm"), {"reason": "戸籍の表記を確認"}).content.decode()
    number = old.delegation_id
    marked = f'<data class="identifier" translate="no" value="{number}">{number}</data>'
    assert f'<p class="errornote" role="alert">{message.format(id=marked)}</p>' in page
    update.refresh_from_db()
    assert update.status == Delegation.Status.SUBMITTED


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_review_page_punctuates_its_labels_in_the_reader_s_language(
    client, settings, subscriber, member, trusted_pki, language
):
    delegation = signed_with_a_substitute(subscriber, member, trusted_pki)
    otp_login(client, make_staff("reception", "rc@staff.example.jp"))
    if language == "en":
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(_change(delegation)).content.decode()
    if language == "ja":
        assert "照合の判定：<strong>" in page and "（代替文字）" in page and "ファイル：" in page
        assert re.search(r"（[^（）]+、SHA-256 ", page)  # the file's size and digest, in brackets
    else:
        assert "Matching verdict: <strong>" in page and " (substitute characters)" in page and "File: " in page
        assert not re.findall(r"[：（）]", page)
