"""A recipient organisation's decision notice (here: the suspension) is not lost when the mail
server is down: it waits in the durable outbox and leaves once, on the worker's first pass after
the server is back; with the server up it leaves at once, as before."""

from __future__ import annotations

import pytest

from mynatrust.tests.mail_backends import decided_while_down, decided_while_up
from validity import services

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_suspension_notice_decided_while_the_mail_server_is_down_is_sent_once_it_is_back(
    organisation, recipient, staff_by_role, settings
):
    notice = decided_while_down(
        settings,
        lambda: services.suspend_recipient(organisation, actor=staff_by_role["reception"], reason="契約違反の疑い"),
        "受領者等の登録について",
        organisation,
    )
    assert notice.to == [recipient.email] and "契約違反の疑い" in notice.body


def test_a_suspension_notice_leaves_at_once_when_the_mail_server_is_up(organisation, recipient, staff_by_role):
    notice = decided_while_up(
        lambda: services.suspend_recipient(organisation, actor=staff_by_role["reception"], reason="x"),
        "受領者等の登録について",
    )
    assert notice.to == [recipient.email]
