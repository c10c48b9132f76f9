"""The acceptance mailed to the agent: a signed link to the document they accept."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core import signing
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

import audit
from delegations.models import Delegation, SignedFile
from delegations.services.common import DelegationError, _require_status
from kernel import Actor, service
from mynatrust import mail_limits
from mynatrust.mail import send_unstored_after_commit

if TYPE_CHECKING:
    pass


ACCEPTANCE_LINK_SALT = "delegations.acceptance-link"


def acceptance_link_token(delegation: Delegation) -> str:
    return signing.dumps(delegation.public_id, salt=ACCEPTANCE_LINK_SALT, compress=True)


def delegation_for_acceptance_link(token: str) -> Delegation | None:
    """The delegation a mailed link names, while the link is genuine and not older than
    ``ACCEPTANCE_LINK_DAYS``; None otherwise."""
    try:
        public_id = signing.loads(
            token, salt=ACCEPTANCE_LINK_SALT, max_age=timedelta(days=settings.ACCEPTANCE_LINK_DAYS)
        )
    except signing.BadSignature:
        return None
    return Delegation.objects.select_related("subscriber").filter(public_id=public_id).first()


def send_acceptance_to_agent(delegation: Delegation, *, actor: Actor, email: str) -> Delegation:
    """Mail the agent a link to the acceptance to sign (§4.1.1(3)), while the service waits for it.
    The member types the address: the mail is counted first like every mail others cause
    (mynatrust.mail_limits, which records a refusal itself, outside the transaction)."""
    if not mail_limits.allow(mail_limits.AGENT_ACCEPTANCE, to=email, account=actor):
        raise DelegationError(mail_limits.REFUSED, code="mail_limited", field="email")
    return _send_acceptance_to_agent(delegation, actor=actor, email=email)


@service("delegations.acceptance.send")
def _send_acceptance_to_agent(delegation: Delegation, *, actor: Actor, email: str) -> Delegation:
    _require_status(
        delegation,
        Delegation.Status.AWAITING_SIGNATURES,
        message=_("受諾書を送れるのは、確定して署名を待っている電子委任状だけです。"),
    )
    if SignedFile.objects.filter(delegation=delegation, role=SignedFile.Role.AGENT).exists():
        raise DelegationError(_("受任者の受諾書は既に受け付けています。"), code="already_stored")
    link = settings.SERVICE_BASE_URL.rstrip("/") + reverse(
        "delegations:acceptance_link", kwargs={"token": acceptance_link_token(delegation)}
    )
    audit.record("delegations.acceptance.sent", actor=actor, subject=delegation, to=email)
    ctx = {
        "delegation": delegation,
        "organisation": str(delegation.subscriber),
        "link": link,
        "days": settings.ACCEPTANCE_LINK_DAYS,
        "SERVICE_NAME": settings.SERVICE_NAME,
    }
    subject = f"【{settings.SERVICE_NAME}】{_('電子委任状の受諾書への署名のお願い')}"
    body = render_to_string("delegations/email/acceptance.txt", ctx)
    send_unstored_after_commit(subject, body, [email], about=delegation)
    return delegation
