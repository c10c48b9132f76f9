"""Notices (§6.3): incident and maintenance notices with a site-wide banner; the end of the service
announced at least 90 days ahead (§6.3.3) and e-mailed to every subscriber and recipient."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from conftest import decide, make_staff, make_user, otp_login
from mynatrust.outbox.services import run_once
from mynatrust.repository import services
from mynatrust.repository.models import Notice, RepositoryError

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator():
    return make_staff("service_operator", "operator@staff.example.jp")


@pytest.fixture
def manager():
    return make_staff("service_manager", "manager@staff.example.jp")


def new_notice(actor, **fields):
    data = {"kind": Notice.Kind.MAINTENANCE, "title": "定期保守のお知らせ", "body": "12月1日 2:00〜4:00 停止します。"}
    data.update(fields)
    return services.save_notice_draft(Notice(**data), actor=actor)


# --- banner ------------------------------------------------------------------------------------------
def test_a_published_maintenance_notice_shows_in_the_banner_of_every_page(client, operator):
    notice = new_notice(operator)
    assert "定期保守のお知らせ" not in client.get("/").content.decode()

    services.publish_notice(notice, actor=operator)

    for url in ("/", "/repository/", reverse("registry:login")):
        body = client.get(url).content.decode()
        assert "定期保守のお知らせ" in body, url
        assert reverse("repository:notice", args=[notice.public_id]) in body
    assert client.get(reverse("repository:notice", args=[notice.public_id])).status_code == 200


def test_the_banner_disappears_when_the_notice_ends_but_the_notice_stays_listed(client, operator):
    ends = timezone.now() + timedelta(hours=2)
    notice = services.publish_notice(new_notice(operator, ends_at=ends), actor=operator)
    with time_machine.travel(ends + timedelta(seconds=1)):
        assert "定期保守のお知らせ" not in client.get("/").content.decode()
        assert "定期保守のお知らせ" in client.get("/repository/notices/").content.decode()
        assert client.get(reverse("repository:notice", args=[notice.public_id])).status_code == 200


def test_ending_a_notice_takes_it_out_of_the_banner_now(client, operator):
    notice = services.publish_notice(new_notice(operator, kind=Notice.Kind.INCIDENT, title="障害発生"), actor=operator)
    assert "障害発生" in client.get("/").content.decode()
    services.end_notice(notice, actor=operator)
    assert "障害発生" not in client.get("/").content.decode()
    assert AuditEvent.objects.filter(event_type="repository.notice.ended", subject_id=notice.public_id).exists()


def test_a_draft_is_neither_in_the_banner_nor_public(client, operator):
    notice = new_notice(operator)
    assert "定期保守のお知らせ" not in client.get("/").content.decode()
    assert client.get(reverse("repository:notice", args=[notice.public_id])).status_code == 404


def test_a_published_notice_cannot_be_changed(operator):
    notice = services.publish_notice(new_notice(operator), actor=operator)
    notice.title = "書き換え"
    with pytest.raises(RepositoryError):
        services.save_notice_draft(notice, actor=operator)
    assert Notice.objects.get(pk=notice.pk).title == "定期保守のお知らせ"


def test_the_banner_costs_one_query_per_page(client, operator, django_assert_num_queries):
    services.publish_notice(new_notice(operator), actor=operator)
    with django_assert_num_queries(1):
        client.get("/")


@pytest.mark.parametrize("role", ["reception", "auditor", "maintenance", "service_administrator"])
def test_other_roles_do_not_publish_notices(role, operator):
    notice = new_notice(operator)
    with pytest.raises(RepositoryError):
        services.publish_notice(notice, actor=make_staff(role, f"{role}@x.example.jp"))
    notice.refresh_from_db()
    assert not notice.is_published


def test_notices_are_published_from_the_admin(client, operator):
    otp_login(client, operator)
    response = client.post(
        reverse("admin:mynatrust_notice_add"),
        {"kind": "incident", "title": "API 遅延", "body": "調査中です。", "banner": "on"},
    )
    assert response.status_code == 302, response.content.decode()
    notice = Notice.objects.get(title="API 遅延")
    assert notice.created_by == operator
    response = decide(client, reverse("admin:mynatrust_notice_publish", args=[notice.pk]))
    assert response.status_code == 302
    notice.refresh_from_db()
    assert notice.is_published
    # Published: read-only in the admin.
    assert client.post(reverse("admin:mynatrust_notice_change", args=[notice.pk]), {"title": "x"}).status_code == 403


# --- termination (§6.3.3) -------------------------------------------------------------------------------
def termination(actor, days_ahead: int):
    return new_notice(
        actor,
        kind=Notice.Kind.TERMINATION,
        title="サービス終了のお知らせ",
        body="本サービスは終了します。",
        service_end_date=timezone.localdate() + timedelta(days=days_ahead),
    )


def test_the_end_of_the_service_cannot_be_announced_less_than_90_days_ahead(manager):
    notice = termination(manager, 89)
    with pytest.raises(RepositoryError, match="90日"):
        services.publish_notice(notice, actor=manager)
    notice.refresh_from_db()
    assert not notice.is_published
    refused = AuditEvent.objects.get(event_type="repository.notice.publish_refused")
    assert refused.data["refused"] is True


def test_exactly_90_days_ahead_is_enough(manager, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        notice = services.publish_notice(termination(manager, 90), actor=manager)
    assert notice.is_published


def test_the_90_days_count_in_japan_time(manager):
    # 2026-12-01 23:30 JST is still 1 December in Japan (14:30 UTC); 90 days later is 1 March 2027.
    with time_machine.travel("2026-12-01T14:30:00Z"):
        notice = new_notice(
            manager, kind=Notice.Kind.TERMINATION, title="終了", service_end_date=timezone.localdate() + timedelta(89)
        )
        assert str(notice.service_end_date) == "2027-02-28"
        with pytest.raises(RepositoryError):
            services.publish_notice(notice, actor=manager)


def test_only_the_service_manager_announces_the_end_of_the_service(operator):
    notice = termination(operator, 120)
    with pytest.raises(RepositoryError, match="サービス責任者"):
        services.publish_notice(notice, actor=operator)


def test_a_termination_notice_needs_an_end_date(operator):
    with pytest.raises(Exception):  # noqa: B017  (model validation: the check constraint)
        new_notice(operator, kind=Notice.Kind.TERMINATION, service_end_date=None)


def test_publishing_the_end_of_the_service_mails_every_subscriber_and_recipient(
    manager, mailoutbox, django_capture_on_commit_callbacks
):
    make_user("a@subscriber.example.jp", "subscriber")
    make_user("b@subscriber.example.jp", "subscriber")
    make_user("c@recipient.example.jp", "recipient")
    make_user("gone@subscriber.example.jp", "subscriber", is_active=False)
    notice = termination(manager, 100)

    with django_capture_on_commit_callbacks(execute=True):
        services.publish_notice(notice, actor=manager)
    assert mailoutbox == []  # queued; the outbox worker sends it
    call_command("send_mail_outbox", stdout=StringIO())

    addressed = sorted(address for mail in mailoutbox for address in mail.to)
    assert addressed == ["a@subscriber.example.jp", "b@subscriber.example.jp", "c@recipient.example.jp"]
    assert all(len(mail.to) == 1 for mail in mailoutbox)  # nobody sees the other addresses
    assert "サービス終了のお知らせ" in mailoutbox[0].subject
    assert str(notice.service_end_date.year) in mailoutbox[0].body
    assert reverse("repository:notice", args=[notice.public_id]) in mailoutbox[0].body
    mailed = AuditEvent.objects.get(event_type="repository.notice.mailed")
    assert mailed.data["sent"] == 3


def test_the_mail_goes_out_in_batches(manager, mailoutbox):
    for i in range(5):
        make_user(f"m{i}@subscriber.example.jp", "subscriber")
    notice = termination(manager, 100)
    services.publish_notice(notice, actor=manager)
    assert run_once(batch_size=2).sent == 5
    assert len(mailoutbox) == 5


def test_a_termination_notice_stays_in_the_banner_until_the_end_date(manager, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        notice = services.publish_notice(termination(manager, 100), actor=manager)
    with pytest.raises(RepositoryError):
        services.end_notice(notice, actor=manager)
