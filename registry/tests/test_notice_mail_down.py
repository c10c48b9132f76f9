"""A subscriber's decision notice (here: the suspension) is not lost when the mail server is down:
it waits in the durable outbox and leaves once, on the worker's first pass after the server is
back; with the server up it leaves at once, as before."""

from __future__ import annotations

import pytest

from mynatrust.tests.mail_backends import decided_while_down, decided_while_up
from registry import services

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_suspension_notice_decided_while_the_mail_server_is_down_is_sent_once_it_is_back(
    active, subscriber_member, reception, settings
):
    notice = decided_while_down(
        settings,
        lambda: services.suspend_subscriber(active, actor=reception, reason="料金の未払い"),
        "ご利用を停止しました",
        active,
    )
    assert notice.to == [subscriber_member.email] and "料金の未払い" in notice.body


def test_a_suspension_notice_leaves_at_once_when_the_mail_server_is_up(active, subscriber_member, reception):
    notice = decided_while_up(
        lambda: services.suspend_subscriber(active, actor=reception, reason="料金の未払い"), "ご利用を停止しました"
    )
    assert notice.to == [subscriber_member.email]
