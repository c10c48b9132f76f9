"""The mail outbox: a mail decided by a transaction (to everyone, or to addresses named then) is
written to the database in that transaction, and sent afterwards by a worker (``manage.py
send_mail_outbox --loop``), never inside a person's request. mynatrust/outbox/services.py holds the
mechanism."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class MailAnnouncement(models.Model):
    """One mail to send: to every active subscriber-side and recipient account (the advance
    announcement of an approved public document, a published notice), expanded into one row per
    address when the worker takes it up; or to the addresses listed when it was queued (a recipient's
    notice that a delegation it checked has ended), with its rows written at once. Its text is fixed
    when it is queued. ``about_type``/``about_id`` name what a listed mail concerns in the audit
    log's terms, so the outbox needs no foreign key to the app that decided it. ``quiet``: the
    completion event is recorded only when some address was not sent at the first try (a decision's
    notice, whose decision is already on the record)."""

    class State(models.TextChoices):
        QUEUED = "queued", _("送信待ち")
        SENDING = "sending", _("送信中")
        DONE = "done", _("送信完了")

    class Audience(models.TextChoices):
        EVERYONE = "everyone", _("全アカウント")
        LISTED = "listed", _("指定した宛先")

    event_type = models.CharField(_("完了時の監査イベント"), max_length=60)
    audience = models.CharField(_("宛先の範囲"), max_length=10, choices=Audience.choices, default=Audience.EVERYONE)
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
    about_type = models.CharField(_("対象種別"), max_length=80, blank=True)
    about_id = models.CharField(_("対象ID"), max_length=64, blank=True)
    details = models.JSONField(_("完了時の監査イベントに記録する内容"), default=dict, blank=True)
    quiet = models.BooleanField(
        _("すぐに送れたときは完了を記録しない"),
        default=False,
        help_text=_(
            "決定の通知など、決定そのものが監査ログに記録されるメールでは、最初の試行ですべての宛先に"
            "送れたときは完了のイベントを記録しません（再試行したときや断念したときは記録します）。"
        ),
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
        verbose_name = _("送信するメール")
        verbose_name_plural = _("送信するメール")
        indexes = [
            models.Index(fields=["state", "queued_at"], name="outbox_announcement_state"),
            # The limit of a recipient's end notices counts its mails of the last window
            # (validity/notices.py): one range of this index however long the outbox is kept.
            models.Index(
                fields=["event_type", "about_type", "about_id", "queued_at"], name="outbox_announcement_about"
            ),
            # The daily retention run looks up the mails finished before its cutoff (outbox/retention.py).
            models.Index(fields=["finished_at"], name="outbox_announcement_finished", condition=models.Q(state="done")),
        ]

    def __str__(self) -> str:
        return self.subject

    @property
    def item(self) -> models.Model | tuple[str, str] | None:
        """What the mail concerns, as the subject of its audit events."""
        if self.about_type:
            return (self.about_type, self.about_id)
        return self.document or self.notice


class OutboxMessage(models.Model):
    """One address of a mail to send. Sent at least once: a worker that dies after the mail
    server accepted a message but before its row was marked may send that one message again."""

    class Status(models.TextChoices):
        PENDING = "pending", _("送信待ち")
        SENT = "sent", _("送信済み")
        FAILED = "failed", _("送信を断念")

    announcement = models.ForeignKey(
        MailAnnouncement, models.PROTECT, related_name="messages", verbose_name=_("送信するメール")
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
