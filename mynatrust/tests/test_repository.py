"""Public repository: versioned documents with four-eyes approval (§9.2), the public pages, and
acceptance of the terms of use by subscriber staff."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from conftest import decide, make_staff, make_user, otp_login
from mynatrust.repository import services
from mynatrust.repository.models import DocumentVersion, RepositoryError, TermsAcceptance
from mynatrust.repository.terms import current_terms_version, has_accepted_current_terms

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator():
    return make_staff("service_operator", "operator@staff.example.jp")


@pytest.fixture
def manager():
    return make_staff("service_manager", "manager@staff.example.jp")


def draft(actor, *, kind="terms", version="2026-04-01", effective_at=None, body="第1条 この約款は…"):
    return services.draft_document(
        kind=kind,
        version=version,
        title=f"利用約款 {version}",
        body=body,
        effective_at=effective_at or timezone.now(),
        change_summary="初版",
        actor=actor,
    )


def publish(operator, manager, **kwargs):
    return services.approve_document(draft(operator, **kwargs), actor=manager)


# --- approval flow ---------------------------------------------------------------------------------
def test_a_draft_is_not_public_until_the_service_manager_approves_it(client, operator, manager):
    doc = draft(operator)
    assert current_terms_version() is None
    assert doc.version not in client.get("/repository/terms/").content.decode()

    approved = services.approve_document(doc, actor=manager, note="確認済み")

    assert approved.status == DocumentVersion.Status.APPROVED
    assert approved.decided_by == manager
    assert current_terms_version() == "2026-04-01"
    body = client.get("/repository/terms/").content.decode()
    assert "第1条 この約款は…" in body
    events = list(
        AuditEvent.objects.filter(subject_id="terms/2026-04-01").order_by("id").values_list("event_type", flat=True)
    )
    assert events == ["repository.document.drafted", "repository.document.approved"]


def test_an_approved_version_is_published_at_its_chosen_time(client, operator, manager):
    later = timezone.now() + timedelta(days=3)
    publish(operator, manager, effective_at=later)
    assert current_terms_version() is None
    # readable ahead of its time (announced in advance), but not in force
    assert "施行予定の版" in client.get("/repository/terms/2026-04-01/").content.decode()
    with time_machine.travel(later + timedelta(seconds=1)):
        assert current_terms_version() == "2026-04-01"
        assert "現在有効な版" in client.get("/repository/terms/2026-04-01/").content.decode()


def test_a_past_effective_time_becomes_the_time_of_approval(operator, manager):
    doc = draft(operator, effective_at=timezone.now() - timedelta(days=30))
    before = timezone.now()
    approved = services.approve_document(doc, actor=manager)
    assert approved.effective_at >= before


def test_the_drafter_cannot_approve_their_own_draft_and_the_refusal_is_recorded(manager):
    other_manager = make_staff("service_manager", "manager2@staff.example.jp")
    doc = draft(manager)
    with pytest.raises(RepositoryError, match="二者確認"):
        services.approve_document(doc, actor=manager)
    assert AuditEvent.objects.filter(event_type="repository.document.approve_refused", data__refused=True).exists()
    assert services.approve_document(doc, actor=other_manager).status == DocumentVersion.Status.APPROVED


@pytest.mark.parametrize("role", ["service_operator", "service_administrator", "auditor", "reception"])
def test_only_the_service_manager_approves(operator, role):
    doc = draft(operator)
    other = make_staff(role, f"{role}-2@staff.example.jp")
    with pytest.raises(RepositoryError):
        services.approve_document(doc, actor=other)
    doc.refresh_from_db()
    assert doc.is_draft


def test_a_rejected_draft_never_becomes_public_and_is_frozen(operator, manager):
    doc = services.reject_document(draft(operator), actor=manager, note="第3条を見直してください")
    assert doc.status == DocumentVersion.Status.REJECTED
    assert current_terms_version() is None
    with pytest.raises(RepositoryError):
        services.update_draft(doc, actor=operator, body="書き換え")
    with pytest.raises(RepositoryError):
        services.approve_document(doc, actor=manager)


def test_an_approved_version_cannot_be_rewritten_even_below_the_services(operator, manager):
    doc = publish(operator, manager)
    doc.body = "こっそり書き換え"
    with pytest.raises(RepositoryError):
        doc.save()
    with pytest.raises(RepositoryError):
        doc.delete()
    assert DocumentVersion.objects.get(pk=doc.pk).body == "第1条 この約款は…"


def test_only_the_drafter_changes_a_draft(operator):
    other_operator = make_staff("service_operator", "operator2@staff.example.jp")
    doc = draft(operator)
    with pytest.raises(RepositoryError, match="起案者"):
        services.update_draft(doc, actor=other_operator, body="別の人の変更")
    updated = services.update_draft(doc, actor=operator, body="第1条 改訂")
    assert updated.body == "第1条 改訂"
    assert AuditEvent.objects.filter(event_type="repository.document.updated", data__changed=["body"]).exists()


@pytest.mark.parametrize("role", ["reception", "auditor", "maintenance"])
def test_roles_that_do_not_draft_cannot(role):
    with pytest.raises(RepositoryError):
        draft(make_staff(role, f"{role}@staff.example.jp"))


def test_earlier_versions_stay_readable_with_their_effective_dates(client, operator, manager):
    start = timezone.now()
    with time_machine.travel(start):
        publish(operator, manager, version="1.0", body="旧約款の本文")
    with time_machine.travel(start + timedelta(days=10)):
        publish(operator, manager, version="2.0", body="新約款の本文")
        assert current_terms_version() == "2.0"
        current = client.get("/repository/terms/").content.decode()
        old = client.get("/repository/terms/1.0/").content.decode()
    assert "新約款の本文" in current
    assert "旧約款の本文" in old
    assert "過去の版" in old
    # The old version's period ends when the new one took effect.
    assert (start + timedelta(days=10)).astimezone(timezone.get_current_timezone()).strftime("%Y年%-m月%-d日") in old


# --- the admin ------------------------------------------------------------------------------------
def test_an_operator_drafts_in_the_admin_and_the_manager_approves_there(client, operator, manager):
    otp_login(client, operator)
    response = client.post(
        reverse("admin:mynatrust_documentversion_add"),
        {
            "kind": "rules",
            "version": "1.0",
            "title": "運用規程",
            "body": "第1章 総則",
            "change_summary": "",
            "effective_at_0": "2026-01-01",
            "effective_at_1": "00:00:00",
        },
    )
    assert response.status_code == 302, response.content.decode()
    doc = DocumentVersion.objects.get(kind="rules", version="1.0")
    assert doc.drafted_by == operator
    # The drafter sees no approve button and may not approve.
    page = client.get(reverse("admin:mynatrust_documentversion_change", args=[doc.pk])).content.decode()
    assert reverse("admin:mynatrust_documentversion_approve", args=[doc.pk]) not in page
    assert client.post(reverse("admin:mynatrust_documentversion_approve", args=[doc.pk]), {}).status_code == 403

    client.logout()
    otp_login(client, manager)
    page = client.get(reverse("admin:mynatrust_documentversion_change", args=[doc.pk])).content.decode()
    assert reverse("admin:mynatrust_documentversion_approve", args=[doc.pk]) in page
    response = decide(client, reverse("admin:mynatrust_documentversion_approve", args=[doc.pk]), {"note": "OK"})
    assert response.status_code == 302
    doc.refresh_from_db()
    assert doc.status == DocumentVersion.Status.APPROVED
    # Decided versions are read-only in the admin.
    response = client.post(reverse("admin:mynatrust_documentversion_change", args=[doc.pk]), {"title": "x"})
    assert response.status_code == 403


# --- public pages ------------------------------------------------------------------------------------
@pytest.mark.parametrize("url", ["/repository/", "/repository/terms/", "/repository/rules/", "/repository/notices/"])
def test_repository_pages_open_without_signing_in(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert response.content.decode().count("<h1") == 1


def test_the_index_shows_the_service_identity_from_settings(client, settings):
    settings.SERVICE_NAME = "テスト電子委任状サービス"
    settings.SERVICE_POLICY_OID = "1.2.3.4.5"
    body = client.get("/repository/").content.decode()
    assert "テスト電子委任状サービス" in body
    assert "1.2.3.4.5" in body
    assert settings.OPERATOR_POLICY_OID in body
    assert settings.SERVICE_OID in body
    assert 'href="/.well-known/jwks.json"' in body
    assert f'href="{settings.REPOSITORY_AUDIT_KEY_PATH}"' in body
    assert f'href="{settings.REPOSITORY_API_DOCS_PATH}"' in body


def test_an_unknown_document_or_version_is_not_found(client):
    assert client.get("/repository/cookies/").status_code == 404
    assert client.get("/repository/terms/9.9/").status_code == 404


def test_the_body_is_escaped(client, operator, manager):
    publish(operator, manager, body="<script>alert(1)</script>")
    body = client.get("/repository/terms/").content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;" in body


# --- terms acceptance ---------------------------------------------------------------------------------
def test_without_published_terms_nobody_is_asked(client, subscriber_member):
    client.force_login(subscriber_member)
    assert has_accepted_current_terms(subscriber_member)
    response = client.get(reverse("registry:home"))
    assert response.status_code == 200


def test_a_subscriber_accepts_changed_terms_before_using_the_member_area(client, operator, manager, subscriber_member):
    publish(operator, manager)
    client.force_login(subscriber_member)
    response = client.get(reverse("registry:home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("repository:terms_accept") + "?next=%2Fapp%2F"
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert page.content.decode().count("<h1") == 1

    # Not ticking the box is not consent.
    assert client.post(reverse("repository:terms_accept"), {"next": "/app/"}).status_code == 200
    assert not TermsAcceptance.objects.exists()

    response = client.post(reverse("repository:terms_accept"), {"agree": "on", "next": "/app/"})
    assert response.status_code == 302
    assert response["Location"] == "/app/"
    acceptance = TermsAcceptance.objects.get(user=subscriber_member)
    assert acceptance.document.version == "2026-04-01"
    assert has_accepted_current_terms(subscriber_member)
    event = AuditEvent.objects.get(event_type="repository.terms.accepted")
    assert event.data["version"] == "2026-04-01"
    assert client.get(reverse("registry:home")).status_code == 200

    # A new version: asked again.
    publish(operator, manager, version="2026-10-01")
    assert not has_accepted_current_terms(subscriber_member)
    assert client.get(reverse("registry:home")).status_code == 302


def test_the_accept_page_never_redirects_off_site(client, operator, manager, subscriber_member):
    publish(operator, manager)
    client.force_login(subscriber_member)
    response = client.post(reverse("repository:terms_accept"), {"agree": "on", "next": "https://evil.example/"})
    assert response["Location"] == reverse("registry:home")


def test_public_pages_and_sign_out_stay_open_before_acceptance(client, operator, manager, subscriber_member):
    publish(operator, manager)
    client.force_login(subscriber_member)
    assert client.get("/repository/terms/").status_code == 200
    assert client.get("/").status_code == 200
    assert client.post(reverse("registry:logout")).status_code == 302


def test_recipients_and_staff_are_not_asked(operator, manager, recipient):
    publish(operator, manager)
    assert has_accepted_current_terms(recipient)
    assert has_accepted_current_terms(manager)
    with pytest.raises(RepositoryError):
        services.accept_current_terms(recipient, actor=recipient)


def test_accepting_twice_records_once(operator, manager):
    publish(operator, manager)
    member = make_user("x@subscriber.example.jp", "subscriber")
    first = services.accept_current_terms(member, actor=member)
    second = services.accept_current_terms(member, actor=member)
    assert first.pk == second.pk
    assert AuditEvent.objects.filter(event_type="repository.terms.accepted").count() == 1


def test_the_admin_forms_open_for_their_roles(client, operator, manager):
    doc = draft(operator)
    otp_login(client, operator)
    assert client.get(reverse("admin:mynatrust_documentversion_add")).status_code == 200
    assert client.get(reverse("admin:mynatrust_documentversion_change", args=[doc.pk])).status_code == 200
    assert client.get(reverse("admin:mynatrust_notice_add")).status_code == 200
    client.logout()
    otp_login(client, manager)
    assert client.get(reverse("admin:mynatrust_documentversion_approve", args=[doc.pk])).status_code == 200
    assert client.get(reverse("admin:mynatrust_documentversion_reject", args=[doc.pk])).status_code == 200
    response = decide(client, reverse("admin:mynatrust_documentversion_reject", args=[doc.pk]), {"note": ""})
    assert response.status_code == 200  # a rejection needs its reason
    doc.refresh_from_db()
    assert doc.is_draft
