"""A delegation's decision notice (here: the revocation) is not lost when the mail server is down:
it waits in the durable outbox and leaves once, on the worker's first pass after the server is
back; with the server up it leaves at once, as before."""

from __future__ import annotations

import pytest

from delegations import services
from delegations.tests.lifecycle import make_active
from mynatrust.tests.mail_backends import decided_while_down, decided_while_up

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_revocation_notice_decided_while_the_mail_server_is_down_is_sent_once_it_is_back(
    subscriber, member, trusted_pki, settings
):
    delegation = make_active(subscriber, member, trusted_pki)
    notice = decided_while_down(
        settings,
        lambda: services.revoke_delegation(delegation, actor=member, reason="退職のため"),
        "電子委任状を取り消しました",
        delegation,
    )
    assert notice.to == [member.email] and delegation.delegation_id in notice.body


def test_a_revocation_notice_leaves_at_once_when_the_mail_server_is_up(subscriber, member, trusted_pki):
    delegation = make_active(subscriber, member, trusted_pki)
    notice = decided_while_up(
        lambda: services.revoke_delegation(delegation, actor=member, reason="退職のため"), "電子委任状を取り消しました"
    )
    assert notice.to == [member.email] and "退職のため" in notice.body
