"""The acceptance goes to the agent by mail: a link that opens, without an account, what the agent
accepts, the acceptance to sign and how to sign it with a My Number card."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from delegations import services
from delegations.models import SignedFile
from delegations.tests.lifecycle import AGENT_NAME, events, make_draft, make_finalised, signed_pair

pytestmark = pytest.mark.django_db

AGENT = "agent@agent-office.example.jp"


@pytest.fixture
def send(client, member, django_capture_on_commit_callbacks):
    def _send(delegation, email=AGENT):
        client.force_login(member)
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(reverse("delegations:send_acceptance", args=[delegation.public_id]), {"email": email})

    return _send


def _link(message) -> str:
    found = re.search(r"https?://[^/\s]+(/\S+/acceptance/\S+/)", message.body)
    assert found, message.body
    return found.group(1)


def test_the_acceptance_goes_to_the_agent_with_a_link_that_opens_without_an_account(client, subscriber, member, send):
    delegation = make_finalised(subscriber, member)
    response = send(delegation)
    assert response.status_code == 302
    assert [m.to for m in mail.outbox] == [[AGENT]]
    message = mail.outbox[0]
    assert delegation.delegation_id in message.body and AGENT_NAME in message.body
    sent = events("delegations.acceptance.sent")
    assert len(sent) == 1 and sent[0].data["to"] == AGENT

    client.logout()
    link = _link(message)
    page = client.get(link)
    html = page.content.decode()
    assert page.status_code == 200 and html.count("<h1") == 1
    assert AGENT_NAME in html and delegation.delegation_id in html
    assert reverse("delegations:card_guide") in html
    pdf = client.get(link + "acceptance.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf) == bytes(delegation.acceptance_pdf)
    assert events("delegations.file.downloaded")[-1].data["what"] == "acceptance.pdf (mail link)"


def test_a_changed_or_old_link_opens_nothing(client, subscriber, member, settings, send):
    delegation = make_finalised(subscriber, member)
    send(delegation)
    client.logout()
    link = _link(mail.outbox[0])
    assert client.get(link[:-3] + "xx/").status_code == 404
    with time_machine.travel(timezone.now() + timedelta(days=settings.ACCEPTANCE_LINK_DAYS + 1)):
        assert client.get(link).status_code == 404
        assert client.get(link + "acceptance.pdf").status_code == 404


def test_the_link_says_so_once_the_acceptance_is_stored(client, subscriber, member, trusted_pki, send):
    delegation = make_finalised(subscriber, member)
    send(delegation)
    link = _link(mail.outbox[0])
    _principal, agent = signed_pair(delegation, trusted_pki)
    services.submit_signed_file(delegation, agent, actor=member, role=SignedFile.Role.AGENT)
    client.logout()
    html = client.get(link).content.decode()
    assert "受諾書は受け付け済みです" in html
    assert client.get(link + "acceptance.pdf").status_code == 404


def test_a_draft_or_a_bad_address_sends_nothing_and_is_recorded(client, subscriber, member, send):
    draft = make_draft(subscriber, member)
    response = send(draft)
    assert response.status_code == 302 and mail.outbox == []
    assert [e.data["code"] for e in events("delegations.acceptance.send_refused")] == ["wrong_state"]
    delegation = make_finalised(subscriber, member)
    response = send(delegation, email="not an address")
    assert mail.outbox == []
    assert "メールアドレス" in " ".join(str(m) for m in response.wsgi_request._messages)


def test_acceptance_mails_are_limited_like_every_mail_a_member_causes(client, settings, subscriber, member, send):
    """A member can type any address: the mail is counted per address, account and client address
    (mynatrust.mail_limits); over the limit nothing is sent, the member is told neutrally and the
    refusal is on the record."""
    from audit import tally

    settings.MAIL_RATE_PER_ADDRESS = "2/3600"
    delegation = make_finalised(subscriber, member)
    pages = [send(delegation) for _ in range(3)]
    assert [r.status_code for r in pages] == [302, 302, 302]
    assert len(mail.outbox) == 2
    assert "しばらくしてから" in client.get(pages[2]["Location"]).content.decode()
    tally.flush(now=timezone.now() + timedelta(minutes=2))
    assert [e.data["kind"] for e in events("mail.throttled")] == ["agent_acceptance"]
