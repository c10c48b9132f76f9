"""A recipient that kept a check of a delegation is told when it is revoked or superseded (by mail
queued in the deciding transaction and sent as soon as it commits, or by the outbox worker when the
mail server is down; limited per organisation, audited); the kept results have a retention period; a kept result prints as a PDF carrying the
service's signed record."""

from __future__ import annotations

import subprocess
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from conftest import make_user
from mynatrust.lib import delegation_id as ids
from mynatrust.outbox import services as outbox
from mynatrust.outbox.models import MailAnnouncement
from mynatrust.tests.mail_backends import DOWN
from validity.models import CheckResult, RecipientMember

from .conftest import facts, make_organisation

pytestmark = pytest.mark.django_db(transaction=True)


def _check(client, user, delegation_id):
    client.force_login(user)
    response = client.post(reverse("validity:check"), {"delegation_id": delegation_id})
    assert response.status_code == 303
    return response["Location"]


def _revoke(delegation_id):
    from delegations import services
    from delegations.models import Delegation

    delegation = Delegation.objects.get(delegation_id=delegation_id)
    owner = delegation.subscriber.memberships.get().user
    services.revoke_delegation(delegation, actor=owner, reason="担当者の退職")


def _notices() -> list[Any]:
    """The end notices sent so far (after one pass of the outbox worker, which finds nothing left)."""
    assert outbox.run_once().sent == 0  # each was sent as soon as the decision committed
    return [m for m in mail.outbox if "確認した電子委任状" in m.subject]


def _end_notices() -> Any:
    return MailAnnouncement.objects.filter(event_type="validity.end_notice.sent")


def _events(event_type: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event_type=event_type).order_by("id"))


def test_only_the_organisations_that_kept_a_check_are_told_of_a_revocation(client, recipient, organisation, stored):
    delegation_id = ids.generate()
    stored(facts(delegation_id))
    colleague = make_user("colleague@recipient.example.jp", "recipient")
    RecipientMember.objects.create(organisation=organisation, user=colleague)
    _check(client, recipient, delegation_id)
    _check(client, recipient, delegation_id)  # twice: still one mail
    result = _check(client, colleague, delegation_id)  # the latest check is the one linked
    bystander = make_organisation(name="株式会社別会社")  # checked nothing
    mail.outbox.clear()

    _revoke(delegation_id)
    notices = _notices()
    # One mail to the organisation, one message per address: nobody sees the other addresses.
    assert sorted(address for m in notices for address in m.to) == sorted([recipient.email, colleague.email])
    assert all(len(m.to) == 1 for m in notices) and len({m.subject for m in notices}) == 1
    assert bystander.members.get().user.email not in [address for m in notices for address in m.to]
    notice = notices[0]
    assert delegation_id in notice.body and "取消し済み" in notice.body
    assert "https://mynatrust.example.jp" + result in notice.body
    [queued] = _events("validity.end_notice.queued")
    assert queued.data["delegation_id"] == delegation_id and queued.data["status"] == "revoked"
    assert queued.data["recipients"] == 2 and queued.subject_id == organisation.public_id
    [sent] = _events("validity.end_notice.sent")
    assert (sent.data["sent"], sent.data["failed"]) == (2, 0) and sent.subject_id == organisation.public_id
    assert sent.data["delegation_id"] == delegation_id and sent.data["status"] == "revoked"
    assert sent.data["announcement"] == queued.data["announcement"]


def test_a_suspended_organisation_or_a_former_member_is_not_told(client, recipient, organisation, stored):
    delegation_id = ids.generate()
    stored(facts(delegation_id))
    _check(client, recipient, delegation_id)
    organisation.status = "suspended"
    organisation.save()
    mail.outbox.clear()
    _revoke(delegation_id)
    assert _notices() == []
    assert not AuditEvent.objects.filter(event_type__startswith="validity.end_notice.").exists()


def _two_checked_with_room_for_one(client, recipient, stored, settings) -> tuple[str, str]:
    """Two delegations the recipient checked, and a limit of one end notice an hour."""
    settings.VALIDITY_END_NOTICE_RATE = "1/3600"
    first, second = ids.generate(), ids.generate()
    for delegation_id in (first, second):
        stored(facts(delegation_id))
        _check(client, recipient, delegation_id)
    return first, second


def test_notices_are_limited_per_organisation_and_the_withheld_ones_recorded(
    client, recipient, organisation, stored, settings
):
    first, second = _two_checked_with_room_for_one(client, recipient, stored, settings)
    mail.outbox.clear()
    _revoke(first)
    _revoke(second)
    assert _end_notices().count() == 1  # the withheld one is not queued
    assert [e.data["delegation_id"] for e in _events("validity.end_notice.queued")] == [first]
    assert len(_notices()) == 1
    withheld = AuditEvent.objects.get(event_type="validity.end_notice.throttled")
    assert withheld.data["delegation_id"] == second and withheld.subject_id == organisation.public_id
    assert [e.data["delegation_id"] for e in _events("validity.end_notice.sent")] == [first]


def test_a_superseded_delegation_is_announced_too(client, recipient, organisation, stored):
    from delegations.models import Delegation
    from delegations.signals import delegation_ended

    delegation_id = ids.generate()
    stored(facts(delegation_id))
    _check(client, recipient, delegation_id)
    mail.outbox.clear()
    delegation_ended.send(
        Delegation, delegation=Delegation.objects.get(delegation_id=delegation_id), status="superseded"
    )
    (notice,) = _notices()
    assert "変更により失効" in notice.body or "変更済み" in notice.body


def test_a_notice_decided_while_the_mail_server_is_down_is_sent_once_it_is_back(
    client, recipient, organisation, stored, settings
):
    """The mail server drops every connection when the delegation is revoked, at the attempt right
    after the commit: nothing is lost, the notice leaves once the server is back, exactly once."""
    delegation_id = ids.generate()
    stored(facts(delegation_id))
    _check(client, recipient, delegation_id)
    mail.outbox.clear()
    working, settings.MAILERS = settings.MAILERS, DOWN
    _revoke(delegation_id)
    start = timezone.now()
    # The first of its two notices, tried at once, found the server unreachable; the second was left
    # to the worker (no host tries at once for a while), whose pass finds the server down too.
    assert outbox.run_once(now=start).sent == 0
    # (the subscriber's own notice of its revocation waits in the outbox too: nothing is recorded as lost)
    assert not AuditEvent.objects.filter(event_type="mail.not_sent").exists()
    assert _events("validity.end_notice.sent") == []  # not before it has left

    settings.MAILERS = working
    assert outbox.run_once(now=start + timedelta(minutes=2)).sent == 2  # the end notice and the subscriber's
    assert outbox.run_once(now=start + timedelta(hours=2)).worked is False  # nothing is sent twice
    (notice,) = [m for m in mail.outbox if "確認した電子委任状" in m.subject]
    assert notice.to == [recipient.email] and delegation_id in notice.body
    told = ["validity.end_notice.queued", "mail.message.retrying", "validity.end_notice.sent"]
    order = [
        e.event_type
        for e in AuditEvent.objects.filter(event_type__in=told).order_by("id")
        if "確認した電子委任状" in e.data.get("mail_subject", "確認した電子委任状")
    ]
    assert order == ["validity.end_notice.queued", "mail.message.retrying", "validity.end_notice.sent"]
    [sent] = _events("validity.end_notice.sent")
    assert (sent.data["sent"], sent.data["failed"]) == (1, 0) and sent.subject_id == organisation.public_id


def test_a_rolled_back_revocation_queues_no_notice(client, recipient, organisation, stored):
    delegation_id = ids.generate()
    stored(facts(delegation_id))
    _check(client, recipient, delegation_id)
    mail.outbox.clear()
    with pytest.raises(RuntimeError), transaction.atomic():
        _revoke(delegation_id)
        raise RuntimeError  # whatever undoes the decision undoes its notice
    assert not _end_notices().exists()
    assert _notices() == [] and not AuditEvent.objects.filter(event_type__startswith="validity.end_notice.").exists()

    _revoke(delegation_id)  # decided for good this time: queued once, sent once
    assert len(_events("validity.end_notice.queued")) == 1
    assert len(_notices()) == 1


def test_rolled_back_revocations_use_up_none_of_the_allowance(client, recipient, organisation, stored, settings):
    """Only a notice whose decision committed counts against the organisation's limit: revocations
    that roll back, however many, leave the whole allowance to the one that commits."""
    settings.VALIDITY_END_NOTICE_RATE = "1/3600"
    delegation_id = ids.generate()
    stored(facts(delegation_id))
    _check(client, recipient, delegation_id)
    mail.outbox.clear()
    for _attempt in range(3):
        with pytest.raises(RuntimeError), transaction.atomic():
            _revoke(delegation_id)
            raise RuntimeError
    _revoke(delegation_id)
    assert [e.data["delegation_id"] for e in _events("validity.end_notice.queued")] == [delegation_id]
    assert _events("validity.end_notice.throttled") == []
    assert len(_notices()) == 1


def _waiting_on_a_lock(thread: threading.Thread) -> bool:
    """Whether another connection to this database is waiting for a row lock (or ``thread`` ended)."""
    for _poll in range(200):
        if not thread.is_alive():
            return False
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return True
        thread.join(0.05)
    raise AssertionError("the second decision neither finished nor waited")


class Decision(threading.Thread):
    """A transaction in a thread of its own that ends ``delegation_id`` for the organisations that
    checked it (notify_checkers) and, with ``hold``, waits for ``release`` before committing, having
    set ``decided``; what it raised is kept in ``errors``."""

    def __init__(self, delegation_id: str, *, hold: bool) -> None:
        super().__init__()
        self.delegation_id, self.hold = delegation_id, hold
        self.decided, self.release = threading.Event(), threading.Event()
        self.errors: list[BaseException] = []

    def run(self) -> None:
        from validity import notices

        try:
            with transaction.atomic():
                notices.notify_checkers(self.delegation_id, status="revoked")
                if self.hold:
                    self.decided.set()
                    assert self.release.wait(10)
        except BaseException as err:  # noqa: BLE001  (reported to the test thread)
            self.errors.append(err)
        finally:
            connections.close_all()


def test_two_decisions_at_once_stay_within_the_limit(client, recipient, organisation, stored, settings):
    """Two transactions end delegations the organisation checked at the same moment; the first has
    queued its notice and not committed yet when the second decides. The limit of one still holds:
    the second counts after the first has committed, and its notice is withheld on the record."""
    first, second = _two_checked_with_room_for_one(client, recipient, stored, settings)
    holding = Decision(first, hold=True)
    holding.start()
    assert holding.decided.wait(10)
    other = Decision(second, hold=False)
    other.start()
    _waiting_on_a_lock(other)
    holding.release.set()
    holding.join(10)
    other.join(10)
    assert not holding.errors + other.errors, holding.errors + other.errors
    assert [e.data["delegation_id"] for e in _events("validity.end_notice.queued")] == [first]
    assert [e.data["delegation_id"] for e in _events("validity.end_notice.throttled")] == [second]
    assert _end_notices().count() == 1


def test_the_limit_is_counted_in_the_database_while_the_cache_is_unreachable(
    client, recipient, organisation, stored, settings
):
    """The notices are counted from the outbox, not in the rate-limit cache: a Redis outage neither
    withholds a notice within the limit nor lets one through beyond it."""
    first, second = _two_checked_with_room_for_one(client, recipient, stored, settings)
    mail.outbox.clear()
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    }
    _revoke(first)
    _revoke(second)
    assert [e.data["delegation_id"] for e in _events("validity.end_notice.queued")] == [first]
    assert [e.data["delegation_id"] for e in _events("validity.end_notice.throttled")] == [second]
    assert len(_notices()) == 1


def test_kept_results_are_removed_after_their_retention_period(client, recipient, organisation, stored, settings):
    settings.RETENTION_PERIODS = {**settings.RETENTION_PERIODS, "validity.check_result": "1y"}
    old, recent = ids.generate(), ids.generate()
    with time_machine.travel(datetime(2025, 1, 10, tzinfo=UTC), tick=False):
        _check(client, recipient, old)
    with time_machine.travel(datetime(2026, 1, 10, tzinfo=UTC), tick=False):
        _check(client, recipient, recent)
    with time_machine.travel(datetime(2026, 2, 1, tzinfo=UTC), tick=False):
        call_command("apply_retention", "--kind", "validity.check_result", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert list(CheckResult.objects.values_list("delegation_id", flat=True)) == [recent]


def pdf_text(pdf: bytes) -> str:
    result = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True)  # noqa: S607
    return result.stdout.decode()


def test_a_kept_result_prints_as_a_pdf_with_the_signed_record(client, recipient, organisation, stored):
    from delegations.document import embedded_files

    delegation_id = ids.generate()
    stored(facts(delegation_id))
    result = _check(client, recipient, delegation_id)
    kept = CheckResult.objects.get()
    response = client.get(result + "result.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    for expected in ("確認結果", delegation_id, "有効", "株式会社受領商事", "代理 一郎", "jwks.json"):
        assert expected in text, expected
    jws_name = f"validity-{ids.in_file_name(delegation_id)}.jws"
    assert embedded_files.extract(response.content, jws_name).decode() == kept.signed_record
    other = make_organisation(name="株式会社別会社")
    client.force_login(other.members.get().user)
    assert client.get(result + "result.pdf").status_code == 404


def test_the_demo_shows_an_end_notice_to_the_recipient_that_kept_a_check(settings, tmp_path):
    """A newcomer running the demo sees the mail: the demo recipient kept a check of a delegation that
    its subscriber then revoked; the notice goes to the recipient and is printed (console mail)."""
    import io

    settings.DEMO_MODE = True
    settings.SIGNATURE_TEST_PKI_DIR = str(tmp_path / "testpki")
    settings.VALIDITY_SIGNING_KEY_FILE = str(tmp_path / "validity.pem")
    out = io.StringIO()
    call_command("demo_setup", stdout=out)

    # Sent through the outbox as soon as the revocation commits, as the demo's line says.
    notices = [m for m in mail.outbox if "確認した電子委任状の状態が変わりました" in m.subject]
    assert len(notices) == 1
    assert notices[0].to == ["recipient@demo.mynatrust.example.jp"]
    assert "取消し済み" in notices[0].body
    assert AuditEvent.objects.get(event_type="validity.end_notice.queued").data["recipients"] == 1
    ended = AuditEvent.objects.get(event_type="validity.end_notice.sent")
    assert ended.data["sent"] == 1
    assert ended.data["delegation_id"] in notices[0].body
    [told] = [line for line in out.getvalue().splitlines() if line.startswith("  終了の通知：")]
    assert (
        ended.data["delegation_id"] in told and "recipient@demo.mynatrust.example.jp あてのメール（終了の通知）" in told
    )
    assert "取消しの確定後すぐに送ります" in told
    # The recipient's history shows the kept check of the delegation that ended.
    assert CheckResult.objects.filter(delegation_id=ended.data["delegation_id"]).exists()

    mail.outbox.clear()
    call_command("demo_setup", stdout=io.StringIO())  # idempotent: no second notice
    assert not [m for m in mail.outbox if "確認した電子委任状" in m.subject]


def test_a_decision_counting_notices_does_not_hold_up_the_organisation_s_new_rows(
    client, recipient, organisation, stored, settings
):
    """The organisation's row is locked only against another count (FOR NO KEY UPDATE), not against
    the key-share lock every new row that refers to it takes (a kept check, an API key, a member):
    while a revocation has counted and not yet committed, the organisation's people keep working."""
    first, _second = _two_checked_with_room_for_one(client, recipient, stored, settings)
    table = organisation._meta.db_table
    deciding = Decision(first, hold=True)
    deciding.start()
    try:
        assert deciding.decided.wait(10)
        with transaction.atomic(), connection.cursor() as cursor:
            # What PostgreSQL's foreign-key check takes on the organisation for a new row.
            cursor.execute(f"SELECT 1 FROM {table} WHERE id = %s FOR KEY SHARE NOWAIT", [organisation.pk])  # noqa: S608
            assert cursor.fetchone() == (1,)
    finally:
        deciding.release.set()
        deciding.join(10)
    assert not deciding.errors, deciding.errors
