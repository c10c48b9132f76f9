"""Demo data of the mynatrust app's packages (called by ``manage.py demo_setup``; idempotent)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext


def setup(command: Any) -> None:
    from mynatrust.operations import demo as operations_demo
    from mynatrust.repository import demo as repository_demo

    repository_demo.setup(command)
    operations_demo.setup(command)
    _staff_enrolment(command)
    _incident_to_report(command)


NEWCOMER = "newcomer"


def _staff_enrolment(command: Any) -> None:
    """A staff member appointed by the service manager who has not yet set a password and a second
    factor: the manager's queue of staff still to enrol is not empty."""
    from unittest import mock

    from django.utils import timezone

    from mynatrust import staff
    from mynatrust.management.commands.demo_setup import demo_email
    from mynatrust.models import User
    from mynatrust.operations import services
    from mynatrust.operations.models import SuitabilityCheck
    from mynatrust.roles import Role

    if User.objects.filter(email=demo_email(NEWCOMER)).exists():
        return
    manager = User.objects.get(email=demo_email("manager"))
    # The suitability check comes first and is named by the appointment (§7.2.2).
    check = services.record_entry(
        SuitabilityCheck,
        actor=manager,
        staff_name="受付 新任",
        role=Role.RECEPTION,
        checked_on=timezone.localdate(),
        items_checked="履歴書・人事票（入社前後の賞罰、資格、実務経験）、受付業務に必要な知識",
        result=SuitabilityCheck.Result.SUITABLE,
    )
    with mock.patch("mynatrust.staff.send_unstored_after_commit"):
        staff.appoint_staff(
            demo_email(NEWCOMER), Role.RECEPTION, actor=manager, display_name="受付 新任", suitability=check
        )
    command.stdout.write(
        gettext("  職員：%(email)s を適格性の確認を記録したうえで任命しました（まだ登録を済ませていません）")
        % {"email": demo_email(NEWCOMER)}
    )


def _incident_to_report(command: Any) -> None:
    """A second security incident, still under investigation and not yet reported to the ministry:
    the queue of reports to make is not empty (the first demo incident's chain is complete)."""
    from datetime import timedelta

    from django.utils import timezone

    from mynatrust.management.commands.demo_setup import demo_email
    from mynatrust.models import User
    from mynatrust.operations import services
    from mynatrust.operations.models import IncidentRecord

    summary = "受付窓口あての不審な添付ファイル付きメール"
    if IncidentRecord.objects.filter(summary=summary).exists():
        return
    now = timezone.now()
    services.record_entry(
        IncidentRecord,
        actor=User.objects.get(email=demo_email("admin")),
        occurred_at=now - timedelta(hours=30),
        detected_at=now - timedelta(hours=28),
        severity=IncidentRecord.Severity.MEDIUM,
        summary=summary,
        cause="調査中（添付ファイルを開いた端末の有無を確認中）",
        response="該当メールを隔離し、受付担当者の端末を検査中",
        security_failure=True,
        leak_risk=True,
    )
    command.stdout.write(gettext("  運用：2件目のセキュリティ事故が主務省庁への報告を待っています"))
