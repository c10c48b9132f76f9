"""Approving a repository document in the admin (§9.2): a confirmation page in the rules' words with
the 新旧対照表 (new and old versions side by side, changes marked), and a version approved for a later
date announced in advance on the repository and by mail (§2.3.2(4)). Notices are published through
their confirmation page too."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from conftest import decide, make_staff, make_user, otp_login
from mynatrust.repository import services
from mynatrust.repository.models import DocumentVersion, Notice

pytestmark = pytest.mark.django_db

OLD = "第1条 この約款は本サービスの利用条件を定める。\n第2条 料金は月額千円とする。\n第3条 準拠法は日本法とする。"
NEW = "第1条 この約款は本サービスの利用条件を定める。\n第2条 料金は月額二千円とする。\n第3条 準拠法は日本法とする。\n第4条 新設の条。"


@pytest.fixture
def operator():
    return make_staff("service_operator", "operator@staff.example.jp")


@pytest.fixture
def manager():
    return make_staff("service_manager", "manager@staff.example.jp")


def _draft(actor, version, body, effective_at=None):
    return services.draft_document(
        kind="terms",
        version=version,
        title=f"利用約款 {version}",
        body=body,
        effective_at=effective_at or timezone.now(),
        change_summary="料金の改定",
        actor=actor,
    )


@pytest.fixture
def revision(operator, manager):
    services.approve_document(_draft(operator, "1.0", OLD), actor=manager)
    return _draft(operator, "2.0", NEW, timezone.now() + timedelta(days=40))


def _approve_url(doc):
    return reverse("admin:mynatrust_documentversion_approve", args=[doc.pk])


def test_the_approval_page_shows_the_comparison_table_with_the_changes_marked(client, manager, revision):
    otp_login(client, manager)
    item = client.get(reverse("admin:mynatrust_documentversion_change", args=[revision.pk])).content.decode()
    assert _approve_url(revision) in item and 'data-testid="comparison"' in item
    page = client.get(_approve_url(revision)).content.decode()
    assert "新旧対照表" in page and "改正後" in page and "改正前" in page
    assert "<ins>二</ins>" in page  # 千円 → 二千円
    assert "（新設）" in page and "第4条 新設の条。" in page
    assert "運用規程 9.2" in page and "料金の改定" in page
    revision.refresh_from_db()
    assert revision.is_draft  # opening the page decides nothing


def test_an_approval_posted_without_its_confirmation_page_is_refused(client, manager, revision):
    otp_login(client, manager)
    response = client.post(_approve_url(revision), {"note": ""})
    assert response.status_code == 302
    revision.refresh_from_db()
    assert revision.is_draft
    refused = AuditEvent.objects.get(event_type="staff.decision_refused")
    assert refused.data["decision"] == "document.approve"


def test_the_drafter_is_not_offered_the_decision_and_the_attempt_is_recorded(client, manager):
    own = _draft(manager, "2.0", NEW)
    otp_login(client, manager)
    assert (
        _approve_url(own)
        not in client.get(reverse("admin:mynatrust_documentversion_change", args=[own.pk])).content.decode()
    )
    response = client.get(_approve_url(own))
    assert response.status_code == 302
    assert AuditEvent.objects.filter(event_type="staff.decision_refused", data__reason="not_open").exists()


def test_a_version_approved_for_a_later_date_is_announced_and_mailed(
    client, manager, revision, mailoutbox, django_capture_on_commit_callbacks
):
    subscriber = make_user("member@example.jp", "subscriber")
    recipient = make_user("checker@example.jp", "recipient")
    otp_login(client, manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = decide(client, _approve_url(revision), {"note": "確認した"})
    assert response.status_code == 302
    assert "予告" in client.get(response["Location"]).content.decode()
    revision.refresh_from_db()
    assert revision.status == DocumentVersion.Status.APPROVED
    # queued with the approval, sent by the outbox worker: in Japanese, one message per address
    assert mailoutbox == []
    call_command("send_mail_outbox", stdout=StringIO())
    assert {m.to[0] for m in mailoutbox} >= {subscriber.email, recipient.email}
    mail = next(m for m in mailoutbox if m.to == [subscriber.email])
    assert "利用約款の改定のお知らせ" in mail.subject
    assert "/repository/terms/2.0/" in mail.body and "施行日時" in mail.body
    assert AuditEvent.objects.get(event_type="repository.document.mailed").data["sent"] >= 2
    # the repository shows the version in force and, ahead of it, the upcoming one with its date
    client.logout()
    page = client.get("/repository/terms/").content.decode()
    assert "第2条 料金は月額千円とする。" in page
    assert 'data-testid="upcoming-version"' in page and "2.0" in page
    assert 'data-testid="upcoming-terms"' in client.get("/repository/").content.decode()
    ahead = client.get("/repository/terms/2.0/")
    assert ahead.status_code == 200 and "施行予定の版" in ahead.content.decode()


def test_a_version_in_force_at_once_is_not_announced_in_advance(
    operator, manager, mailoutbox, django_capture_on_commit_callbacks
):
    make_user("member@example.jp", "subscriber")
    with django_capture_on_commit_callbacks(execute=True):
        services.approve_document(_draft(operator, "1.0", OLD), actor=manager)
    assert mailoutbox == []
    assert not DocumentVersion.objects.upcoming().exists()


def test_a_draft_version_is_never_shown_ahead(client, revision):
    assert client.get("/repository/terms/2.0/").status_code == 404


# --- notices ----------------------------------------------------------------------------------------------
def _notice(actor, **fields):
    notice = Notice(kind=fields.pop("kind", "maintenance"), title="定期保守", body="午前2時から停止します。", **fields)
    return services.save_notice_draft(notice, actor=actor)


def test_a_notice_is_published_through_its_confirmation_page(client, operator):
    notice = _notice(operator)
    otp_login(client, operator)
    url = reverse("admin:mynatrust_notice_publish", args=[notice.pk])
    assert url in client.get(reverse("admin:mynatrust_notice_change", args=[notice.pk])).content.decode()
    page = client.get(url).content.decode()
    assert "定期保守" in page and "バナーで表示します" in page
    client.post(url, {})
    notice.refresh_from_db()
    assert not notice.is_published
    assert AuditEvent.objects.filter(event_type="staff.decision_refused", data__decision="notice.publish").exists()
    decide(client, url)
    notice.refresh_from_db()
    assert notice.is_published
    end = reverse("admin:mynatrust_notice_end", args=[notice.pk])
    decide(client, end)
    notice.refresh_from_db()
    assert notice.ends_at is not None


def test_the_termination_notice_page_says_everyone_is_mailed(client, manager):
    notice = _notice(manager, kind="termination", service_end_date=timezone.localdate() + timedelta(days=120))
    otp_login(client, manager)
    page = client.get(reverse("admin:mynatrust_notice_publish", args=[notice.pk])).content.decode()
    assert "全員にメールで送ります" in page
