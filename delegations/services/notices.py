"""Mail to the subscriber when a delegation is activated or ends, or an idle draft is to be
deleted, rendered from templates. The notices of a decision (stored, submitted, activated,
rejected, revoked) go through the durable mail outbox; the reminders (ending,
idle_draft) are sent by their command with ``notify_now``, which marks them only once sent. The
notice that an upload was refused is not stored: refused input leaves no row behind, so it is mailed
as the refusal happens and a mail server's refusal is recorded as ``mail.not_sent``; the subscriber
saw the refusal on the page when it was made."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from delegations.models import Delegation
from mynatrust import mail
from mynatrust.mail import send_now
from mynatrust.outbox.services import notify_after_commit

MAIL_SUBJECTS = {
    "stored": _("署名済みファイルを受け付けました"),
    "refused": _("署名済みファイルを受け付けられませんでした"),
    "submitted": _("電子委任状の署名がそろいました"),
    "activated": _("電子委任状を登録しました"),
    "rejected": _("電子委任状を受理できませんでした"),
    "revoked": _("電子委任状を取り消しました"),
    "ending": _("電子委任状の委任期間の終了が近づいています"),
    "idle_draft": _("電子委任状の下書きが削除されます"),
}


# The notices a subscriber can keep as PDF (delegations/notices.py), by the mail that announces them.
NOTICES = {"activated": "registered", "revoked": "revoked"}


def _notify(delegation: Delegation, what: str, **extra: Any) -> None:
    """E-mail the subscriber's members through the durable outbox: queued with the decision, sent as
    soon as it commits, retried if the mail server refuses it (the mail has no secret link). A
    refused upload's notice is mailed without being stored (see the module)."""
    subject, body, recipients = _message(delegation, what, **extra)
    if what == "refused":
        mail.send_unstored_after_commit(subject, body, recipients, about=delegation)
        return
    notify_after_commit(subject, body, recipients, about=delegation)


def notify_now(delegation: Delegation, what: str, **extra: Any) -> int:
    """E-mail the subscriber's members now, inside the caller's transaction: a mail that cannot be
    sent raises and rolls back what the caller recorded of it. Returns how many were mailed."""
    subject, body, recipients = _message(delegation, what, **extra)
    return send_now(subject, body, recipients)


def _message(delegation: Delegation, what: str, **extra: Any) -> tuple[str, str, list[str]]:
    """The subject, the body (in the active language) and the members' addresses."""
    subscriber = delegation.subscriber
    recipients = list(subscriber.memberships.values_list("user__email", flat=True))
    if not recipients:
        return "", "", []
    ctx = {
        "what": what,
        "organisation": str(subscriber),
        "delegation": delegation,
        "standing": delegation.status_for(timezone.now()),
        "link": settings.SERVICE_BASE_URL.rstrip("/")
        + reverse("delegations:detail", kwargs={"public_id": delegation.public_id}),
        "notice_link": settings.SERVICE_BASE_URL.rstrip("/")
        + reverse("delegations:notice", kwargs={"public_id": delegation.public_id, "what": NOTICES[what]})
        if what in NOTICES
        else "",
        "SERVICE_NAME": settings.SERVICE_NAME,
        **extra,
    }
    subject = f"【{settings.SERVICE_NAME}】{MAIL_SUBJECTS[what]}"
    return subject, render_to_string("delegations/email/notice.txt", ctx), recipients
