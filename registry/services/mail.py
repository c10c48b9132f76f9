"""Mail to subscribers, rendered from templates: a decision's notice through the durable mail
outbox, sent as soon as the decision commits; the renewal reminder by its command (``_message``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from mynatrust.mail import Mail
from mynatrust.outbox.services import notify_after_commit
from registry.models import (
    Subscriber,
    SubscriberFacts,
)

if TYPE_CHECKING:
    pass


MAIL_SUBJECTS = {
    "applied": _("利用申込を受け付けました"),
    "approved": _("利用申込を承認しました"),
    "rejected": _("利用申込を承認できませんでした"),
    "returned": _("申込内容の確認をお願いします"),
    "change_submitted": _("変更届を受け付けました"),
    "change_approved": _("変更届を承認しました"),
    "change_rejected": _("変更届を承認できませんでした"),
    "renewal_reminder": _("契約期間の終了が近づいています"),
    "renewed": _("契約を更新しました"),
    "suspended": _("ご利用を停止しました"),
    "reinstated": _("ご利用を再開しました"),
    "terminated": _("契約を終了しました"),
    "same_number_applied": _("同じ法人番号で利用申込がありました"),
}


def review_days() -> int:
    """The days reception aims to decide an application or change within (the queue's overdue mark)."""
    return int(settings.STAFF_QUEUE_OVERDUE_DAYS.get("subscriber_review", 3))


def _receipt_of(facts: SubscriberFacts) -> dict[str, Any]:
    """What a mail about a received application or change says of its receipt."""
    link = settings.SERVICE_BASE_URL.rstrip("/") + reverse("registry:receipt", kwargs={"version": facts.version})
    return {"reception_number": facts.reception_number, "review_days": review_days(), "receipt_link": link}


def _mail_on_commit(
    subscriber: Subscriber, what: str, extra: dict[str, Any], *, recipients: list[str] | None = None
) -> None:
    """Mail ``recipients`` (every member when None) about ``subscriber`` through the durable outbox:
    queued with the decision, sent as soon as it commits, retried if the mail server refuses it (no
    mail here holds a secret link; the receipt and the menu need signing in)."""
    mail = _message(subscriber, what, extra, recipients=recipients)
    notify_after_commit(mail.subject, mail.body, mail.to, about=subscriber)


def _message(subscriber: Subscriber, what: str, extra: dict[str, Any], *, recipients: list[str] | None = None) -> Mail:
    """The mail ``what`` about ``subscriber`` to ``recipients`` (every member when None), in the
    active language; no body when there is nobody to mail."""
    if recipients is None:
        recipients = list(subscriber.memberships.values_list("user__email", flat=True))
    subject = f"【{settings.SERVICE_NAME}】{MAIL_SUBJECTS[what]}"
    if not recipients:
        return Mail(subject, "", [], about=subscriber)
    ctx = {
        "what": what,
        "organisation": str(subscriber),
        "status": subscriber.get_status_display(),
        "contract_end": subscriber.contract_end,
        "link": settings.SERVICE_BASE_URL.rstrip("/") + reverse("registry:home"),
        "SERVICE_NAME": settings.SERVICE_NAME,
        **extra,
    }
    return Mail(subject, render_to_string("registry/email/notice.txt", ctx), recipients, about=subscriber)
