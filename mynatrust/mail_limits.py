"""Limits on the mails that visitors and members make the service send: sign-up confirmations,
"someone tried to sign up with your address" notices, password resets, member and staff
invitations, the notice to a subscriber that someone applied under its corporate number, the
acceptance link a member sends to an agent. Without them anyone could use the service to flood a third party's mailbox from the
service's own domain, or spend its sending reputation (and with it every notice it must deliver).

Each mail is counted, in the shared rate-limit cache (:mod:`mynatrust.ratelimit`, Redis in
production, one round trip), against three windows: the target address (its canonical form, per
kind of mail), the signed-in account that caused it (none for anonymous sign-ups and resets) and
the client address. When one is exceeded the mail is not sent, the refusal is an audit event
counted per minute (``mail.throttled``) and the caller answers exactly as if it had been sent
(no hint of which address exists or was limited). When the cache cannot be reached no mail goes out
(fail closed, see docs/security.md).
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _

import audit
from audit.context import current
from mynatrust import ratelimit
from mynatrust.lib.email_address import canonical_email

SIGNUP = "signup"
SIGNUP_EXISTING = "signup_existing"
PASSWORD_RESET = "password_reset"  # noqa: S105 (a kind of mail, not a password)
MEMBER_INVITATION = "member_invitation"
STAFF_INVITATION = "staff_invitation"
SAME_NUMBER_APPLICATION = "same_number_application"
AGENT_ACCEPTANCE = "agent_acceptance"
KINDS = (
    SIGNUP,
    SIGNUP_EXISTING,
    PASSWORD_RESET,
    MEMBER_INVITATION,
    STAFF_INVITATION,
    SAME_NUMBER_APPLICATION,
    AGENT_ACCEPTANCE,
)

# What a signed-in sender is told when an invitation is not sent, whichever window refused it (no
# hint of what others sent to the address). Visitors who sign up or ask for a reset are told nothing.
REFUSED = _("現在このメールを送信できません。しばらくしてから再度お試しください。")


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def allow(kind: str, *, to: str, account: Any = None, ip: str | None = None) -> bool:
    """Count one mail of ``kind`` to ``to``; False (recorded) when it must not be sent. Call it
    outside any transaction that may roll back (the refusal is recorded at once)."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind of mail {kind!r}")
    address = canonical_email(to)
    ip = current().ip if ip is None else ip
    counters: list[tuple[str, str, ratelimit.Rate]] = [
        (f"mail:{kind}:to", _digest(address), ratelimit.Rate.parse(settings.MAIL_RATE_PER_ADDRESS)),
        ("mail:client", ip or "-", ratelimit.Rate.parse(settings.MAIL_RATE_PER_CLIENT)),
    ]
    account_pk = getattr(account, "pk", None) if getattr(account, "is_authenticated", False) else None
    if account_pk is not None:
        counters.append(("mail:account", str(account_pk), ratelimit.Rate.parse(settings.MAIL_RATE_PER_ACCOUNT)))
    try:
        wait = ratelimit.hit_many(counters, fail_open=False)
    except ratelimit.Unavailable:
        reason = "cache_unavailable"
    else:
        if wait is None:
            return True
        reason = "rate_limited"
    audit.record_tallied(
        "mail.throttled",
        actor=account if account_pk is not None else None,
        key=f"{kind}:{_digest(address)}",
        kind=kind,
        to=address[:254],
        reason=reason,
    )
    return False
