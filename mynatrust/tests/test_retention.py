"""Retention (§6.2.9, §2.8(10)): periods from settings, dry run vs real run, period edges, ledger
chains, the registry other apps extend, and every deletion on the audit record."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from axes.models import AccessLog
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.utils import timezone, translation

from audit.models import AuditEvent
from conftest import make_staff, make_user
from mynatrust.models import User
from mynatrust.operations import retention, services
from mynatrust.operations.models import EntryExitRecord, IncidentRecord
from mynatrust.operations.retention import Period


# --- periods (pure) ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "moment", "expected"),
    [
        ("3y", datetime(2026, 11, 25, 10, 0, tzinfo=UTC), datetime(2023, 11, 25, 10, 0, tzinfo=UTC)),
        ("10y", datetime(2026, 1, 1, tzinfo=UTC), datetime(2016, 1, 1, tzinfo=UTC)),
        # six months back from 31 August: there is no 31 February, the month's last day is used
        ("6m", datetime(2026, 8, 31, tzinfo=UTC), datetime(2026, 2, 28, tzinfo=UTC)),
        # a leap day minus one year
        ("1y", datetime(2028, 2, 29, tzinfo=UTC), datetime(2027, 2, 28, tzinfo=UTC)),
        # across the turn of the year
        ("2m", datetime(2026, 1, 15, tzinfo=UTC), datetime(2025, 11, 15, tzinfo=UTC)),
        ("30d", datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 1, 30, tzinfo=UTC)),
        ("0d", datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC)),
    ],
)
def test_a_period_is_counted_back_on_the_calendar(text, moment, expected):
    assert Period.parse(text).before(moment) == expected


@pytest.mark.parametrize("text", ["", "10", "y", "3w", "-1y", "1.5y"])
def test_a_malformed_period_is_refused(text):
    with pytest.raises(ValueError, match="retention period"):
        Period.parse(text)


def test_the_settings_table_covers_the_periods_the_rules_name(settings):
    table = settings.RETENTION_PERIODS
    assert table["registry.application"] == "10y"
    assert table["audit.event"] == "10y"
    assert table["access.login_log"] == "3y"
    assert table["operations.entry_exit"] == "3y"
    for text in table.values():
        Period.parse(text)
    # Every registered kind has a period.
    assert {kind.name for kind in retention.registered()} <= set(table)


def test_the_table_in_the_docs_has_one_row_per_kind_in_settings_with_its_period(settings):
    # docs/retention.md is the table the service manager approves: every kind in settings, with its period.
    text = (settings.BASE_DIR / "docs" / "retention.md").read_text()
    rows = re.findall(r"^\| `([^`]+)` \| ([^|]+?) \|", text, re.MULTILINE)
    assert sorted(kind for kind, _period in rows) == sorted(settings.RETENTION_PERIODS)
    unit = {"year": "y", "month": "m", "day": "d"}
    for kind, period in rows:
        number, word = period.split()
        assert f"{number}{unit[word.removesuffix('s')]}" == settings.RETENTION_PERIODS[kind], kind


# --- running it ----------------------------------------------------------------------------------------
NOW = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)


@pytest.fixture
def administrator(db):
    return make_staff("service_administrator", "admin@staff.example.jp")


def entry_at(actor, moment, **extra):
    with time_machine.travel(moment, tick=False):
        return services.record_entry(
            EntryExitRecord,
            actor=actor,
            area="server_room",
            direction="enter",
            occurred_at=moment,
            person_name="保守 太郎",
            organisation="保守会社",
            purpose="点検",
            escort_name="保守 員三郎",
            approved_by=_approver(),
            **extra,
        )


def _approver():
    from mynatrust.models import User

    found = User.objects.filter(email="approver@staff.example.jp").first()
    return found or make_staff("service_manager", "approver@staff.example.jp")


def run(*args: str) -> str:
    out = StringIO()
    with time_machine.travel(NOW, tick=False):
        call_command("apply_retention", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_a_dry_run_lists_what_is_due_and_changes_nothing(administrator):
    cutoff = datetime(2023, 11, 25, 3, 0, tzinfo=UTC)  # NOW minus 3 years
    old = entry_at(administrator, cutoff - timedelta(seconds=1))
    output = run("--dry-run")
    assert "operations.entry_exit" in output
    assert "試行のみ：期限を過ぎた記録は 1 件です。何も変更していません。" in output
    assert EntryExitRecord.objects.filter(pk=old.pk).exists()
    assert not AuditEvent.objects.filter(event_type__startswith="retention.").exists()


@pytest.mark.django_db
def test_a_real_run_removes_only_what_is_past_its_period_and_records_it(administrator):
    cutoff = datetime(2023, 11, 25, 3, 0, tzinfo=UTC)
    past = entry_at(administrator, cutoff - timedelta(seconds=1))
    at_edge = entry_at(administrator, cutoff)
    inside = entry_at(administrator, cutoff + timedelta(days=1))

    output = run()

    assert "  1 件を削除しました" in output
    remaining = set(EntryExitRecord.objects.values_list("pk", flat=True))
    assert remaining == {at_edge.pk, inside.pk}
    event = AuditEvent.objects.get(event_type="retention.deleted")
    assert event.subject_id == "operations.entry_exit"
    assert event.data["ids"] == [str(past.pk)]
    assert event.data["count"] == 1
    assert event.data["period"] == "3y"
    assert AuditEvent.objects.filter(event_type="retention.run").exists()
    # A second run finds nothing more.
    assert "完了：期限を過ぎた 0 件のうち 0 件を削除または匿名化しました。" in run()


@pytest.mark.django_db
def test_a_corrected_chain_is_kept_while_its_newest_entry_is_inside_the_period(administrator):
    cutoff = datetime(2023, 11, 25, 3, 0, tzinfo=UTC)
    original = entry_at(administrator, cutoff - timedelta(days=30))
    entry_at(administrator, cutoff + timedelta(days=1), corrects=original, correction_reason="誤記")
    run()
    assert EntryExitRecord.objects.count() == 2

    # Both past the period: the whole chain goes, correction first.
    with time_machine.travel(NOW + timedelta(days=2), tick=False):
        call_command("apply_retention", stdout=StringIO())
    assert EntryExitRecord.objects.count() == 0


@pytest.mark.django_db
def test_each_ledger_keeps_its_own_period(administrator):
    # Incidents are kept 10 years: an incident from 5 years ago stays.
    with time_machine.travel(NOW - timedelta(days=5 * 365), tick=False):
        incident = services.record_entry(
            IncidentRecord,
            actor=administrator,
            occurred_at=timezone.now(),
            detected_at=timezone.now(),
            severity="low",
            summary="遅延",
            response="監視",
        )
    entry = entry_at(administrator, NOW - timedelta(days=5 * 365))
    run()
    assert IncidentRecord.objects.filter(pk=incident.pk).exists()
    assert not EntryExitRecord.objects.filter(pk=entry.pk).exists()


@pytest.mark.django_db
def test_periods_come_from_settings(settings, administrator):
    settings.RETENTION_PERIODS = {**settings.RETENTION_PERIODS, "operations.entry_exit": "10y"}
    entry = entry_at(administrator, NOW - timedelta(days=5 * 365))
    run()
    assert EntryExitRecord.objects.filter(pk=entry.pk).exists()


@pytest.mark.django_db
def test_access_records_and_expired_sessions(settings):
    with time_machine.travel(NOW - timedelta(days=3 * 365 + 2), tick=False):
        old = AccessLog.objects.create(
            user_agent="x", ip_address="192.0.2.1", username="a", http_accept="*", path_info="/"
        )
    with time_machine.travel(NOW - timedelta(days=30), tick=False):
        recent = AccessLog.objects.create(
            user_agent="x", ip_address="192.0.2.1", username="a", http_accept="*", path_info="/"
        )
    Session.objects.create(session_key="expired" + "0" * 25, session_data="x", expire_date=NOW - timedelta(hours=1))
    Session.objects.create(session_key="live" + "0" * 28, session_data="x", expire_date=NOW + timedelta(hours=1))

    run()

    assert list(AccessLog.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not AccessLog.objects.filter(pk=old.pk).exists()
    assert list(Session.objects.values_list("session_key", flat=True)) == ["live" + "0" * 28]
    session_event = AuditEvent.objects.get(event_type="retention.deleted", subject_id="sessions.expired")
    # Session keys are secrets: only the count is recorded.
    assert session_event.data["ids"] is None
    assert session_event.data["count"] == 1


def unconfirmed(email, kind):
    user = make_user(email, kind)
    User.objects.filter(pk=user.pk).update(email_confirmed_at=None)
    return user


@pytest.mark.django_db
def test_sign_ups_never_confirmed_are_deleted_after_30_days():
    with time_machine.travel(NOW - timedelta(days=31), tick=False):
        stale = unconfirmed("stale@example.jp", "subscriber")
        confirmed = make_user("ok@example.jp", "subscriber")
        staff = make_staff("reception", "r@staff.example.jp")
    with time_machine.travel(NOW - timedelta(days=29), tick=False):
        fresh = unconfirmed("fresh@example.jp", "recipient")
    run()
    remaining = set(User.objects.values_list("pk", flat=True))
    assert stale.pk not in remaining
    assert {confirmed.pk, staff.pk, fresh.pk} <= remaining


@pytest.mark.django_db
def test_a_sign_up_confirmed_after_the_run_listed_it_is_kept_and_not_counted(after_retention_lists):
    with time_machine.travel(NOW - timedelta(days=31), tick=False):
        stale = unconfirmed("stale@example.jp", "subscriber")
        late = unconfirmed("late@example.jp", "recipient")
    # The address is confirmed once the run has listed both and before it deletes them.
    after_retention_lists(lambda: User.objects.filter(pk=late.pk).update(email_confirmed_at=NOW))

    output = run("--kind", "accounts.unconfirmed_signup")

    assert User.objects.filter(pk=late.pk).exists()
    assert not User.objects.filter(pk=stale.pk).exists()
    assert "  1 件を削除しました" in output
    event = AuditEvent.objects.get(event_type="retention.deleted")
    assert (event.data["count"], event.data["ids"]) == (1, [str(stale.pk)])
    assert AuditEvent.objects.get(event_type="retention.run").data["applied"] == 1


@pytest.mark.django_db
def test_a_chain_corrected_after_the_run_listed_it_is_kept_and_not_counted(administrator, after_retention_lists):
    cutoff = datetime(2023, 11, 25, 3, 0, tzinfo=UTC)
    corrected = entry_at(administrator, cutoff - timedelta(days=30))
    old = entry_at(administrator, cutoff - timedelta(days=20))
    # A correction recorded in between: the chain's newest entry is now inside the period.
    after_retention_lists(lambda: entry_at(administrator, NOW, corrects=corrected, correction_reason="誤記"))

    run("--kind", "operations.entry_exit")

    assert EntryExitRecord.objects.filter(pk=corrected.pk).exists()
    assert EntryExitRecord.objects.filter(corrects=corrected).exists()
    assert not EntryExitRecord.objects.filter(pk=old.pk).exists()
    event = AuditEvent.objects.get(event_type="retention.deleted")
    assert (event.data["count"], event.data["ids"]) == (1, [str(old.pk)])


# --- the registry --------------------------------------------------------------------------------------
@pytest.fixture
def extra_kind(settings):
    settings.RETENTION_PERIODS = {**settings.RETENTION_PERIODS, "test.anonymised": "1y"}

    def anonymise(queryset):
        return queryset.update(display_name="")

    kind = retention.register(
        retention.RecordKind(
            name="test.anonymised",
            label="test",
            due=lambda cutoff: User.objects.filter(kind="recipient", date_joined__lt=cutoff).exclude(display_name=""),
            action=retention.ANONYMISE,
            anonymise=anonymise,
        )
    )
    yield kind
    retention._registry.pop("test.anonymised", None)


@pytest.mark.django_db
def test_another_app_registers_a_kind_that_anonymises(extra_kind):
    with time_machine.travel(NOW - timedelta(days=400), tick=False):
        old = make_user("old@recipient.example.jp", "recipient", display_name="鈴木 花子")
    output = run("--kind", "test.anonymised")
    assert "  1 件を匿名化しました" in output
    old.refresh_from_db()
    assert old.display_name == ""
    event = AuditEvent.objects.get(event_type="retention.anonymised")
    assert event.data["ids"] == [str(old.pk)]


def register_noticed(name, tell):
    """Register ``name``: a recipient is due a year after joining once told (its display name marked
    "told" by ``tell(user, now)``), and is told when it is due within 30 days."""
    retention.register(
        retention.RecordKind(
            name=name,
            label="test",
            due=lambda cutoff: User.objects.filter(kind="recipient", date_joined__lt=cutoff, display_name="told"),
            notice=retention.Notice(
                due=lambda now: User.objects.filter(
                    kind="recipient", date_joined__lt=now - timedelta(days=335)
                ).exclude(display_name="told"),
                send=tell,
            ),
        )
    )


@pytest.fixture
def noticed_kind(settings):
    """A kind that tells each record's owner before removing it: a user is due a year after joining
    once told (its display name marked), and is told when it is due within 30 days."""
    settings.RETENTION_PERIODS = {**settings.RETENTION_PERIODS, "test.noticed": "1y"}
    told: list[tuple[int, datetime]] = []

    def tell(user, now):
        told.append((user.pk, now))
        User.objects.filter(pk=user.pk).update(display_name="told")

    register_noticed("test.noticed", tell)
    yield told
    retention._registry.pop("test.noticed", None)


@pytest.mark.django_db
def test_a_kind_tells_before_it_removes_and_a_dry_run_tells_nobody(noticed_kind):
    with time_machine.travel(NOW - timedelta(days=400), tick=False):
        old = make_user("old@recipient.example.jp", "recipient")
    with time_machine.travel(NOW - timedelta(days=340), tick=False):
        soon = make_user("soon@recipient.example.jp", "recipient")

    output = run("--kind", "test.noticed", "--dry-run")
    assert "削除前のお知らせの対象 2 件（送っていません）" in output and not noticed_kind

    output = run("--kind", "test.noticed")
    # Both are told; neither is removed by the run that told it.
    assert "削除前のお知らせを 2 件送りました" in output and "より前のもの 0 件" in output
    assert sorted(pk for pk, _now in noticed_kind) == sorted([old.pk, soon.pk])
    assert {now for _pk, now in noticed_kind} == {NOW}
    assert User.objects.filter(pk__in=[old.pk, soon.pk]).count() == 2
    # The next run tells nobody twice and removes the one told and past its period.
    output = run("--kind", "test.noticed")
    assert "削除前のお知らせを 0 件送りました" in output and "  1 件を削除しました" in output
    assert list(User.objects.filter(pk__in=[old.pk, soon.pk]).values_list("pk", flat=True)) == [soon.pk]


@pytest.fixture
def faulty_notice_kind(settings):
    """A kind whose notice marks the user told and then fails on a programming error for an address
    with ``broken``, as a mistake in a kind's code would. Named to come before every other kind."""
    settings.RETENTION_PERIODS = {**settings.RETENTION_PERIODS, "a.faulty_notice": "1y"}

    def tell(user, now):
        User.objects.filter(pk=user.pk).update(display_name="told")
        if "broken" in user.email:
            raise KeyError("deletes_on")

    register_noticed("a.faulty_notice", tell)
    yield
    retention._registry.pop("a.faulty_notice", None)


@pytest.mark.django_db
def test_a_programming_error_in_a_notice_is_recorded_logged_and_fails_the_run_after_the_others(
    faulty_notice_kind, caplog
):
    with time_machine.travel(NOW - timedelta(days=340), tick=False):
        broken = make_user("broken@recipient.example.jp", "recipient")
        fine = make_user("fine@recipient.example.jp", "recipient")
    with time_machine.travel(NOW - timedelta(days=31), tick=False):
        stale = unconfirmed("stale@example.jp", "subscriber")
    out, err = StringIO(), StringIO()

    with time_machine.travel(NOW, tick=False), pytest.raises(SystemExit) as exited:
        kinds = ("--kind", "a.faulty_notice", "--kind", "accounts.unconfirmed_signup")
        call_command("apply_retention", *kinds, stdout=out, stderr=err)

    assert exited.value.code == 1
    # The other record of the kind is told, its mark kept; the failed one's mark is rolled back.
    assert User.objects.get(pk=fine.pk).display_name == "told"
    assert User.objects.get(pk=broken.pk).display_name != "told"
    # The kind after it is still removed.
    assert not User.objects.filter(pk=stale.pk).exists()
    assert "削除前のお知らせを 1 件送りました" in out.getvalue() and "  1 件を削除しました" in out.getvalue()
    [failure] = AuditEvent.objects.filter(event_type="retention.notice_failed")
    assert {key: failure.data[key] for key in ("kind", "id", "error", "reason")} == {
        "kind": "a.faulty_notice",
        "id": str(broken.pk),
        "error": "KeyError",
        "reason": "'deletes_on'",
    }
    assert set(failure.data) <= {"kind", "id", "error", "reason", "entry_point"}
    # Not swallowed: the traceback is in the log, the operator is told to look there.
    [logged] = [r for r in caplog.records if r.exc_info and r.exc_info[0] is KeyError]
    assert "a.faulty_notice" in logged.getMessage()
    said = err.getvalue()
    assert "a.faulty_notice: 1 件" in said and "想定外のエラー" in said and "Traceback" not in said


@pytest.fixture
def faulty_removal_kind(settings, monkeypatch):
    """A kind removing old recipients (display name "old") two per batch, whose removal deletes its
    batch and then breaks the unique constraint on e-mail addresses (a real error of the database)
    for a batch holding an address with ``broken``. Named to come before every other kind."""
    settings.RETENTION_PERIODS = {**settings.RETENTION_PERIODS, "a.faulty_removal": "1y"}
    monkeypatch.setattr(retention, "AUDIT_BATCH", 2)

    def remove(batch):
        broken = batch.filter(email__contains="broken").exists()
        count = batch.delete()[1].get("mynatrust.User", 0)
        if broken:
            User.objects.filter(email="keeper@example.jp").update(email="neighbour@example.jp")
        return count

    retention.register(
        retention.RecordKind(
            name="a.faulty_removal",
            label="test",
            due=lambda cutoff: User.objects.filter(kind="recipient", date_joined__lt=cutoff, display_name="old"),
            remove=remove,
        )
    )
    yield
    retention._registry.pop("a.faulty_removal", None)


@pytest.mark.django_db
def test_a_kind_failing_in_its_second_batch_keeps_its_first_and_fails_the_run_after_the_others(
    faulty_removal_kind, caplog
):
    with time_machine.travel(NOW - timedelta(days=400), tick=False):
        # Removed newest first: the two fine ones are the first batch, the two broken ones the second.
        broken = [make_user(f"broken{n}@recipient.example.jp", "recipient", display_name="old") for n in (1, 2)]
        fine = [make_user(f"fine{n}@recipient.example.jp", "recipient", display_name="old") for n in (1, 2)]
        make_user("keeper@example.jp", "subscriber")
        make_user("neighbour@example.jp", "subscriber")
    with time_machine.travel(NOW - timedelta(days=31), tick=False):
        stale = unconfirmed("stale@example.jp", "subscriber")
    kinds = ("--kind", "a.faulty_removal", "--kind", "accounts.unconfirmed_signup")
    # A dry run removes nothing, so it does not fail.
    assert "試行のみ：期限を過ぎた記録は 5 件です。" in run(*kinds, "--dry-run")
    out, err = StringIO(), StringIO()

    with time_machine.travel(NOW, tick=False), pytest.raises(SystemExit) as exited:
        call_command("apply_retention", *kinds, stdout=out, stderr=err)

    assert exited.value.code == 1
    # The first batch stays removed; the second is rolled back whole (its deletion with it).
    assert set(User.objects.filter(display_name="old").values_list("pk", flat=True)) == {u.pk for u in broken}
    assert User.objects.filter(email="keeper@example.jp").exists()
    # The kind after it is still removed.
    assert not User.objects.filter(pk=stale.pk).exists()
    [deleted] = AuditEvent.objects.filter(event_type="retention.deleted", subject_id="a.faulty_removal")
    assert (deleted.data["count"], sorted(deleted.data["ids"])) == (2, sorted(str(u.pk) for u in fine))
    assert AuditEvent.objects.get(event_type="retention.run").data["applied"] == 3
    [failure] = AuditEvent.objects.filter(event_type="retention.failed")
    assert failure.subject_id == "a.faulty_removal"
    assert {key: failure.data[key] for key in ("kind", "step", "error", "done")} == {
        "kind": "a.faulty_removal",
        "step": "removal",
        "error": "IntegrityError",
        "done": 2,
    }
    assert failure.data["reason"].startswith("duplicate key value violates unique constraint")
    assert "\n" not in failure.data["reason"] and len(failure.data["reason"]) <= 200
    assert set(failure.data) <= {"kind", "step", "error", "reason", "done", "entry_point"}
    said = out.getvalue()
    assert "  2 件を削除しました" in said and "  1 件を削除しました" in said
    # Not swallowed: the traceback is in the log, the operator is told which kind failed.
    [logged] = [r for r in caplog.records if r.exc_info and r.exc_info[0].__name__ == "IntegrityError"]
    assert "a.faulty_removal" in logged.getMessage()
    said = err.getvalue()
    # Said per kind: the batch kept, the one rolled back, the remainder left for the next run.
    assert "失敗した種類と、それぞれで済んだこと" in said
    assert (
        "a.faulty_removal: 1 回分 2 件を処理したあと、次の回で失敗してその回を取り消しました"
        "（済んだ 1 回分はそのままです）" in said
    )
    assert "Traceback" not in said and "accounts.unconfirmed_signup" not in said

    # The next run fails on the broken batch again, now its first: nothing more removed or counted.
    err = StringIO()
    with time_machine.travel(NOW, tick=False), translation.override("en"), pytest.raises(SystemExit) as exited:
        call_command("apply_retention", "--kind", "a.faulty_removal", stdout=StringIO(), stderr=err)
    assert exited.value.code == 1
    said = err.getvalue()
    assert "Kinds that failed, and what was done of each." in said
    assert "a.faulty_removal: its first batch (up to 2 records) failed and was rolled back; nothing removed" in said
    assert "件" not in said
    assert User.objects.filter(display_name="old").count() == 2
    assert AuditEvent.objects.filter(event_type="retention.deleted", subject_id="a.faulty_removal").count() == 1
    assert sorted(event.data["done"] for event in AuditEvent.objects.filter(event_type="retention.failed")) == [0, 2]


@pytest.fixture
def unplannable_kind(settings):
    """A kind whose condition is wrong (a column that does not exist): counting its due records fails
    in PostgreSQL. Named to come before every other kind."""
    settings.RETENTION_PERIODS = {**settings.RETENTION_PERIODS, "a.unplannable": "1y"}
    retention.register(
        retention.RecordKind(
            name="a.unplannable",
            label="test",
            due=lambda cutoff: User.objects.filter(kind="recipient", date_joined__lt=cutoff).extra(
                where=["no_such_column IS NULL"]
            ),
        )
    )
    yield
    retention._registry.pop("a.unplannable", None)


UNPLANNABLE_AND_SIGNUPS = ("--kind", "a.unplannable", "--kind", "accounts.unconfirmed_signup")


def run_failing(*args: str) -> tuple[str, str]:
    """Run the command expecting it to end with status 1; its stdout and stderr."""
    out, err = StringIO(), StringIO()
    with time_machine.travel(NOW, tick=False), pytest.raises(SystemExit) as exited:
        call_command("apply_retention", *args, stdout=out, stderr=err)
    assert exited.value.code == 1
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_a_dry_run_says_which_kind_could_not_be_counted_counts_the_others_and_fails(unplannable_kind, caplog):
    with time_machine.travel(NOW - timedelta(days=400), tick=False):
        kept = make_user("old@recipient.example.jp", "recipient")
    with time_machine.travel(NOW - timedelta(days=31), tick=False):
        stale = unconfirmed("stale@example.jp", "subscriber")

    out, err = run_failing(*UNPLANNABLE_AND_SIGNUPS, "--dry-run")

    assert "a.unplannable: 保存期間 1 年、期限を過ぎた記録を数えられませんでした" in out
    assert "accounts.unconfirmed_signup: 保存期間 30 日、" in out and "より前のもの 1 件" in out
    assert "試行のみ：期限を過ぎた記録は 1 件です。何も変更していません。" in out
    assert "試行のみのため何も記録していません" in err
    assert "a.unplannable: 期限を過ぎた記録を数えられず、お知らせも削除もしていません" in err
    assert "accounts.unconfirmed_signup" not in err and "Traceback" not in err
    [logged] = [r for r in caplog.records if r.exc_info and r.exc_info[0].__name__ == "ProgrammingError"]
    assert "a.unplannable" in logged.getMessage()
    with translation.override("en"):
        out, err = run_failing(*UNPLANNABLE_AND_SIGNUPS, "--dry-run")
    assert "a.unplannable: period 1 year(s); its due records could not be counted (see the log)" in out
    assert "a dry run: nothing recorded" in err and "a.unplannable: its due records could not be counted" in err
    assert "件" not in out + err
    # A dry run changes and records nothing.
    assert User.objects.filter(pk__in=[kept.pk, stale.pk]).count() == 2
    assert not AuditEvent.objects.filter(event_type__startswith="retention.").exists()


@pytest.mark.django_db
def test_a_kind_that_cannot_be_counted_is_skipped_recorded_and_fails_the_run_after_the_others(unplannable_kind, caplog):
    with time_machine.travel(NOW - timedelta(days=400), tick=False):
        kept = make_user("old@recipient.example.jp", "recipient")
    with time_machine.travel(NOW - timedelta(days=31), tick=False):
        stale = unconfirmed("stale@example.jp", "subscriber")

    out, err = run_failing(*UNPLANNABLE_AND_SIGNUPS)

    assert not User.objects.filter(pk=stale.pk).exists()
    assert User.objects.filter(pk=kept.pk).exists()
    assert "  1 件を削除しました" in out
    assert AuditEvent.objects.get(event_type="retention.run").data["applied"] == 1
    [failure] = AuditEvent.objects.filter(event_type="retention.failed")
    assert failure.subject_id == "a.unplannable"
    assert {key: failure.data[key] for key in ("kind", "step", "error", "done")} == {
        "kind": "a.unplannable",
        "step": "planning",
        "error": "ProgrammingError",
        "done": 0,
    }
    assert "no_such_column" in failure.data["reason"] and len(failure.data["reason"]) <= 200
    assert set(failure.data) <= {"kind", "step", "error", "reason", "done", "entry_point"}
    [logged] = [r for r in caplog.records if r.exc_info and r.exc_info[0].__name__ == "ProgrammingError"]
    assert "a.unplannable" in logged.getMessage()
    assert "失敗した種類と、それぞれで済んだこと" in err
    assert "a.unplannable: 期限を過ぎた記録を数えられず、お知らせも削除もしていません" in err
    # No batch ran: nothing is said of batches rolled back or kept.
    assert "取り消し" not in err and "回分" not in err
    assert "accounts.unconfirmed_signup" not in err and "Traceback" not in err


@pytest.fixture
def unlistable_notice_kind(settings):
    """A kind with records due for removal (told and a year old) whose notice listing fails in
    PostgreSQL (a column that does not exist). Named to come before every other kind."""
    settings.RETENTION_PERIODS = {**settings.RETENTION_PERIODS, "a.unlistable": "1y"}
    retention.register(
        retention.RecordKind(
            name="a.unlistable",
            label="test",
            due=lambda cutoff: User.objects.filter(kind="recipient", date_joined__lt=cutoff, display_name="told"),
            notice=retention.Notice(
                due=lambda now: User.objects.filter(kind="recipient").extra(where=["no_such_column IS NULL"]),
                send=lambda record, now: None,
            ),
        )
    )
    yield
    retention._registry.pop("a.unlistable", None)


@pytest.mark.django_db
def test_a_kind_whose_notices_cannot_be_listed_still_removes_what_was_told_and_fails_the_run(
    unlistable_notice_kind, caplog
):
    with time_machine.travel(NOW - timedelta(days=400), tick=False):
        # Told long ago and past its period: its due condition needs no new notice.
        told = make_user("told@recipient.example.jp", "recipient", display_name="told")
        # Past its period but never told: never due, whatever the notices' listing does.
        untold = make_user("untold@recipient.example.jp", "recipient")
    with time_machine.travel(NOW - timedelta(days=31), tick=False):
        stale = unconfirmed("stale@example.jp", "subscriber")
    kinds = ("--kind", "a.unlistable", "--kind", "accounts.unconfirmed_signup")

    out, err = run_failing(*kinds, "--dry-run")
    assert "削除前のお知らせの対象を一覧できませんでした" in out
    assert "a.unlistable: 削除前のお知らせの対象を一覧できず、お知らせはしていません" in err
    assert not AuditEvent.objects.filter(event_type__startswith="retention.").exists()

    out, err = run_failing(*kinds)

    # The record told long enough ago is removed (§2.8(10)); the untold one stays.
    assert not User.objects.filter(pk=told.pk).exists()
    assert User.objects.filter(pk=untold.pk).exists()
    assert not User.objects.filter(pk=stale.pk).exists()
    assert "削除前のお知らせの対象を一覧できませんでした" in out
    assert out.count("  1 件を削除しました") == 2
    assert AuditEvent.objects.get(event_type="retention.run").data["applied"] == 2
    [deleted] = AuditEvent.objects.filter(event_type="retention.deleted", subject_id="a.unlistable")
    assert deleted.data["ids"] == [str(told.pk)]
    assert not AuditEvent.objects.filter(event_type="retention.notice_failed").exists()
    [failure] = AuditEvent.objects.filter(event_type="retention.failed")
    assert failure.subject_id == "a.unlistable"
    assert {key: failure.data[key] for key in ("kind", "step", "error", "done")} == {
        "kind": "a.unlistable",
        "step": "notices",
        "error": "ProgrammingError",
        "done": 0,
    }
    assert len([r for r in caplog.records if r.exc_info and r.exc_info[0].__name__ == "ProgrammingError"]) == 2
    assert (
        "a.unlistable: 削除前のお知らせの対象を一覧できず、お知らせはしていません。"
        "お知らせ済みで期限を過ぎた 1 件は削除または匿名化しました" in err
    )
    assert "accounts.unconfirmed_signup" not in err and "Traceback" not in err
    with translation.override("en"):
        _out, err = run_failing(*kinds)
    assert "a.unlistable: the records to tell could not be listed; nobody told. 0 record(s) told" in err
    assert "件" not in err


def test_a_kind_without_a_period_in_settings_is_refused(settings):
    with pytest.raises(ValueError, match="no period"):
        retention.register(retention.RecordKind(name="nowhere", label="x", due=lambda cutoff: None))  # type: ignore[arg-type,return-value]


@pytest.mark.django_db
def test_kinds_in_the_table_without_a_handler_are_listed_not_touched(settings):
    settings.RETENTION_PERIODS = {**settings.RETENTION_PERIODS, "nothing.yet": "1y"}
    output = run("--dry-run")
    assert "registry.application" in output
    assert next(line for line in output.splitlines() if line.startswith("nothing.yet")).endswith(
        "処理する仕組みが登録されていません"
    )


@pytest.mark.django_db
def test_the_dry_run_names_the_command_that_removes_audit_events_and_writes_cutoffs_in_japan_time():
    output = run("--dry-run")
    [audit_line] = [line for line in output.splitlines() if line.startswith("audit.event")]
    assert "audit_archive --prune" in audit_line and "登録されていません" not in audit_line
    [entries] = [line for line in output.splitlines() if line.startswith("operations.entry_exit")]
    # 2023-11-25 03:00 UTC (NOW minus 3 years) is noon in Japan; the period is read as a person says it.
    assert "保存期間 3 年、2023年11月25日 12:00 より前のもの 0 件" in entries, entries


@pytest.mark.django_db
def test_an_unknown_kind_is_an_error():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match=r"不明な種類です：nothing\.here"):
        run("--kind", "nothing.here")


def test_a_malformed_period_in_settings_fails_the_system_check(settings):
    from mynatrust.operations.checks import retention_periods

    settings.RETENTION_PERIODS = {**settings.RETENTION_PERIODS, "operations.entry_exit": "three years"}
    assert [problem.id for problem in retention_periods(None)] == ["mynatrust.E101"]
