"""The outbox's record kind for mynatrust.operations.retention: a mail whose sending is over (every
address sent or given up, ``finish_sent``) is deleted with its messages once its period has passed
since it finished. Its addresses and text are personal data no longer needed then (§2.8(10)): the
audit log keeps the decision that sent it and the ``mail.*`` events. Registered when the project
starts (mynatrust/apps.py), like the repository's, so the rest of the outbox imports nothing of the
operations ledgers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from mynatrust.operations import retention
from mynatrust.outbox.models import MailAnnouncement, OutboxMessage


def finished_before(cutoff: datetime) -> QuerySet[MailAnnouncement]:
    """The mails that finished before ``cutoff``; never one still queued or sending, nor one with a
    message still to send."""
    return MailAnnouncement.objects.filter(state=MailAnnouncement.State.DONE, finished_at__lt=cutoff).exclude(
        messages__status=OutboxMessage.Status.PENDING
    )


def delete_with_messages(mails: QuerySet[Any]) -> int:
    """Delete ``mails`` and their messages (which protect them) together; how many mails went."""
    with transaction.atomic():
        OutboxMessage.objects.filter(announcement__in=mails.values("pk")).delete()
        deleted, _by_model = MailAnnouncement.objects.filter(pk__in=mails.values("pk")).delete()
    return deleted


def identify(mail: Any) -> str:
    """The mail's id and completion event (as the audit log's ``mail.*`` and decision events name
    it), never an address nor the subject."""
    return f"{mail.pk}:{mail.event_type}"


def register() -> None:
    retention.register(
        retention.RecordKind(
            name="mail.outbox",
            label=_("送信を終えたメール（宛先と本文）"),
            due=finished_before,
            remove=delete_with_messages,
            identify=identify,
        )
    )
