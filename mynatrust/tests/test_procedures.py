"""Business procedure documents (業務手続き, §7.2.4, §6.2.9): internal documents that every member of
staff reads and nobody outside the company does. The service administrator drafts and revises them
(§7.2.4), the service manager approves them (§9.2 applied to them too; never the drafter), a decided
version is never rewritten or deleted (kept beyond the 10 years of §6.2.9), and a new version of the
rules puts their review in the service administrator's queue until a new version is drafted."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from conftest import make_staff, otp_login
from mynatrust import dashboard
from mynatrust.repository import services
from mynatrust.repository.models import DocumentKind, DocumentVersion, RepositoryError

pytestmark = pytest.mark.django_db


@pytest.fixture
def administrator():
    return make_staff("service_administrator", "admin@staff.example.jp")


@pytest.fixture
def manager():
    return make_staff("service_manager", "manager@staff.example.jp")


@pytest.fixture
def operator():
    return make_staff("service_operator", "operator@staff.example.jp")


def procedures(actor, version="1.0", **extra):
    return services.draft_document(
        kind=DocumentKind.PROCEDURES,
        version=version,
        title="電子委任状の受付手順書",
        body="1. 署名済みファイルの検証結果を確認する。",
        effective_at=timezone.now(),
        actor=actor,
        **extra,
    )


def test_the_service_administrator_drafts_and_the_service_manager_approves(administrator, manager):
    doc = services.approve_document(procedures(administrator), actor=manager)
    assert doc.status == DocumentVersion.Status.APPROVED
    assert AuditEvent.objects.filter(event_type="repository.document.approved", subject_id=doc.audit_id).exists()
    with pytest.raises(RepositoryError):
        services.update_draft(doc, actor=administrator, body="書き換え")
    with pytest.raises(RepositoryError):
        doc.delete()


@pytest.mark.parametrize("role", ["service_operator", "reception", "auditor", "maintenance"])
def test_other_roles_do_not_draft_procedures_and_the_refusal_is_audited(role):
    with pytest.raises(RepositoryError):
        procedures(make_staff(role, f"{role}@staff.example.jp"))
    assert AuditEvent.objects.filter(event_type="repository.document.draft_refused").count() == 1
    assert not DocumentVersion.objects.exists()


def test_the_drafter_never_approves_their_own_procedures(administrator):
    doc = procedures(administrator)
    with pytest.raises(RepositoryError):
        services.approve_document(doc, actor=administrator)


def test_procedures_are_never_public(client, administrator, manager):
    doc = services.approve_document(procedures(administrator), actor=manager)
    assert client.get("/repository/procedures/").status_code == 404
    assert client.get(f"/repository/procedures/{doc.version}/").status_code == 404
    assert "電子委任状の受付手順書" not in client.get("/repository/").content.decode()


@pytest.mark.parametrize(
    "role", ["service_manager", "service_administrator", "service_operator", "reception", "auditor", "maintenance"]
)
def test_every_member_of_staff_reads_the_procedures_in_the_admin(client, role, administrator, manager):
    doc = services.approve_document(procedures(administrator), actor=manager)
    reader = {"service_manager": manager, "service_administrator": administrator}.get(role) or make_staff(role)
    otp_login(client, reader)
    listing = client.get(reverse("admin:mynatrust_proceduredocument_changelist"))
    assert listing.status_code == 200 and "電子委任状の受付手順書" in listing.content.decode()
    page = client.get(reverse("admin:mynatrust_proceduredocument_change", args=[doc.pk]))
    assert page.status_code == 200 and "署名済みファイルの検証結果を確認する" in page.content.decode()


def test_the_public_document_admin_does_not_list_procedures(client, administrator, manager, operator):
    services.approve_document(procedures(administrator), actor=manager)
    otp_login(client, operator)
    listing = client.get(reverse("admin:mynatrust_documentversion_changelist")).content.decode()
    assert "電子委任状の受付手順書" not in listing


def _review_queue(user):
    return next(state for state in dashboard.queues_for(user) if state.queue.key == "procedure_review")


def test_a_new_version_of_the_rules_asks_the_administrator_to_review_the_procedures(administrator, manager, operator):
    services.approve_document(procedures(administrator), actor=manager)
    assert _review_queue(administrator).count == 0

    rules = services.draft_document(
        kind=DocumentKind.RULES,
        version="2.02",
        title="運用規程",
        body="改定",
        effective_at=timezone.now() + timedelta(minutes=1),
        actor=operator,
    )
    services.approve_document(rules, actor=manager)
    state = _review_queue(administrator)
    assert state.count == 1 and state.oldest_url == "/repository/rules/2.02/"

    procedures(administrator, version="1.1", change_summary="運用規程 2.02 に合わせて見直し")
    assert _review_queue(administrator).count == 0


def test_approving_procedures_ahead_mails_no_subscriber(
    administrator, manager, mailoutbox, django_capture_on_commit_callbacks
):
    from conftest import make_user

    make_user("a@subscriber.example.jp", "subscriber")
    doc = procedures(administrator)
    with django_capture_on_commit_callbacks(execute=True):
        services.approve_document(doc, actor=manager, effective_at=timezone.now() + timedelta(days=30))
    assert mailoutbox == []
