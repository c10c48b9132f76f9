"""Mail backends that behave like a troubled mail server, for the outbox tests: a real backend class
(the locmem one, which keeps what it accepts in ``django.core.mail.outbox``) that refuses some
recipients, cannot be reached or drops every connection."""

from __future__ import annotations

import smtplib
import time
from collections import Counter
from typing import Any

from django.core.mail.backends.locmem import EmailBackend


class TroubledBackend(EmailBackend):
    """Refuses an address containing ``bounce`` every time, one containing ``flaky`` the first
    ``flaky_refusals`` times, and every address while ``down`` is set; waits ``delay`` seconds per
    message (to make two workers overlap)."""

    tries: Counter[str] = Counter()
    down = False
    flaky_refusals = 1
    delay = 0.0

    def open(self) -> bool:
        if type(self).down:
            raise ConnectionRefusedError(111, "Connection refused")
        return True

    def send_messages(self, messages: Any) -> int:
        for message in messages:
            for address in message.to:
                type(self).tries[address] += 1
                refused = "bounce" in address or (
                    "flaky" in address and type(self).tries[address] <= type(self).flaky_refusals
                )
                if refused:
                    raise smtplib.SMTPRecipientsRefused({address: (550, b"mailbox unavailable")})
        if type(self).delay:
            time.sleep(type(self).delay)
        return int(super().send_messages(messages) or 0)

    @classmethod
    def reset(cls) -> None:
        cls.tries = Counter()
        cls.down = False
        cls.flaky_refusals = 1
        cls.delay = 0.0


class DisconnectedBackend(EmailBackend):
    """A mail server that drops the connection at every message: nothing is accepted."""

    def send_messages(self, messages: Any) -> int:
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


# The mail server down, for the tests of mail sent after a commit (mynatrust.mail).
DOWN = {"default": {"BACKEND": "mynatrust.tests.mail_backends.DisconnectedBackend", "OPTIONS": {}}}


def not_sent(to: str) -> Any:
    """The one ``mail.not_sent`` event about ``to`` (the system's, naming the refusal)."""
    from audit.models import AuditEvent

    [event] = AuditEvent.objects.filter(event_type="mail.not_sent", data__to=[to])
    assert event.actor_kind == "system"
    assert event.data["error"].startswith("SMTPServerDisconnected")
    return event
