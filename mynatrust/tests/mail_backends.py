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


def decided_while_down(settings: Any, decide: Any, words: str, about: Any) -> Any:
    """Take a decision (``decide()``) while the mail server drops every connection, then check its
    notice (subject containing ``words``) is kept, not recorded as lost, and sent exactly once by one
    pass of the outbox worker when the server is back, the delay on the record about ``about``.
    Returns the notice as sent."""
    from datetime import timedelta

    from django.core import mail
    from django.utils import timezone

    import audit
    from audit.models import AuditEvent
    from mynatrust.outbox import services as outbox

    def notices() -> list[Any]:
        return [m for m in mail.outbox if words in m.subject]

    working, settings.MAILERS = settings.MAILERS, DOWN
    mail.outbox.clear()
    decide()
    assert notices() == []
    assert not AuditEvent.objects.filter(event_type="mail.not_sent").exists()  # not lost
    [retrying] = about_mail(AuditEvent.objects.filter(event_type="mail.message.retrying"), words)
    assert (retrying.subject_type, retrying.subject_id) == audit.subject_of(about) and retrying.data[
        "error"
    ].startswith("SMTPServerDisconnected")
    assert outbox.run_once().worked is False  # the worker waits for the backoff
    settings.MAILERS = working
    back = timezone.now() + timedelta(minutes=2)
    assert outbox.run_once(now=back).sent >= 1  # one pass
    assert outbox.run_once(now=back + timedelta(hours=2)).worked is False  # nothing is sent twice
    [notice] = notices()
    [late] = about_mail(AuditEvent.objects.filter(event_type="mail.sent_late"), words)
    assert (late.subject_type, late.subject_id) == audit.subject_of(about) and (
        late.data["sent"],
        late.data["failed"],
    ) == (1, 0)
    return notice


def decided_while_up(decide: Any, words: str) -> Any:
    """Take a decision with the mail server up: its notice has left once the decision returns, and
    nothing more than the decision is on the record (no completion event for a mail sent at once)."""
    from django.core import mail

    from audit.models import AuditEvent

    mail.outbox.clear()
    decide()
    [notice] = [m for m in mail.outbox if words in m.subject]
    assert not AuditEvent.objects.filter(event_type__in=["mail.sent_late", "mail.message.retrying"]).exists()
    return notice


def about_mail(events: Any, words: str) -> list[Any]:
    """The events about a mail whose subject line contains ``words``."""
    return [e for e in events if words in e.data.get("mail_subject", "")]
