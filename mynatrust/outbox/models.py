"""The mail outbox: a mail to many addresses is written to the database in the transaction that
decided it, and sent afterwards by a worker (``manage.py send_mail_outbox --loop``), never inside a
person's request. mynatrust/outbox/services.py holds the mechanism."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class MailAnnouncement(models.Model):
    """One mail to every active subscriber-side and recipient account: the advance announcement of
    an approved public document, or a published notice. Its text is fixed when it is queued."""

    class State(models.TextChoices):
        QUEUED = "queued", _("送信待ち")
        SENDING = "sending", _("送信中")
        DONE = "done", _("送信完了")

    event_type = models.CharField(_("完了時の監査イベント"), max_length=60)
    document = models.ForeignKey(
        "mynatrust.DocumentVersion",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("公開文書の版"),
    )
    notice = models.ForeignKey(
        "mynatrust.Notice", models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("告知")
    )
    subject = models.CharField(_("件名"), max_length=255)
    body = models.TextField(_("本文"))
    state = models.CharField(_("状態"), max_length=10, choices=State.choices, default=State.QUEUED)
    queued_at = models.DateTimeField(_("登録日時"), default=timezone.now)
    recipients = models.PositiveIntegerField(_("宛先数"), default=0)
    sent = models.PositiveIntegerField(_("送信数"), default=0)
    failed = models.PositiveIntegerField(_("送信できなかった数"), default=0)
    finished_at = models.DateTimeField(_("完了日時"), null=True, blank=True)

    class Meta:
        verbose_name = _("一斉メール")
        verbose_name_plural = _("一斉メール")
        indexes = [models.Index(fields=["state", "queued_at"], name="outbox_announcement_state")]

    def __str__(self) -> str:
        return self.subject

    @property
    def item(self) -> models.Model | None:
        return self.document or self.notice


class OutboxMessage(models.Model):
    """One address of an announcement. Sent at least once: a worker that dies after the mail
    server accepted a message but before its row was marked may send that one message again."""

    class Status(models.TextChoices):
        PENDING = "pending", _("送信待ち")
        SENT = "sent", _("送信済み")
        FAILED = "failed", _("送信を断念")

    announcement = models.ForeignKey(
        MailAnnouncement, models.PROTECT, related_name="messages", verbose_name=_("一斉メール")
    )
    to = models.EmailField(_("宛先"))
    status = models.CharField(_("状態"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("試行回数"), default=0)
    next_attempt_at = models.DateTimeField(_("次の試行日時"), default=timezone.now)
    sent_at = models.DateTimeField(_("送信日時"), null=True, blank=True)
    last_error = models.CharField(_("最後のエラー"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("送信待ちのメール")
        verbose_name_plural = _("送信待ちのメール")
        indexes = [
            models.Index(
                fields=["next_attempt_at", "id"],
                name="outbox_message_due",
                condition=models.Q(status="pending"),
            )
        ]

    def __str__(self) -> str:
        return self.to
