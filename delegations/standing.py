"""Where a delegation stands at an instant: the one status function every audience reads.

The subscriber's list, its filter, the delegation page, the mails and the recipient's validity
answer all take their status from :func:`standing_at`, so a delegation whose period has not begun or
has ended never reads 有効 to one audience and 有効期間前 / 期間満了 to another.

Pure: dates and instants in, a :class:`Standing` out; no ORM, no settings. The period is a pair of
calendar dates in Japan, inclusive at both ends (valid until 2027-03-31 means up to 23:59:59.999999
JST that day).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from django.utils.translation import gettext_lazy as _

JST = ZoneInfo("Asia/Tokyo")


class Standing(StrEnum):
    DRAFT = "draft"
    AWAITING_SIGNATURES = "awaiting_signatures"
    SUBMITTED = "submitted"
    REJECTED = "rejected"
    NOT_YET_VALID = "not_yet_valid"
    VALID = "valid"
    EXPIRED = "expired"
    REVOKED = "revoked"
    SUPERSEDED = "superseded"

    @property
    def label(self) -> Any:
        return LABELS[self]

    @property
    def tone(self) -> str:
        """A css modifier: ok | wait | stop | work."""
        return TONES[self]

    @property
    def in_force(self) -> bool:
        return self is Standing.VALID

    @property
    def before_period(self) -> bool:
        """有効期間前: stored, but its period has not begun."""
        return self is Standing.NOT_YET_VALID

    @property
    def after_period(self) -> bool:
        """期間満了: stored, and its period has ended."""
        return self is Standing.EXPIRED


# One name per status, on every page and in every mail (the recipient's answer uses the same words).
LABELS: dict[Standing, Any] = {
    Standing.DRAFT: _("下書き"),
    Standing.AWAITING_SIGNATURES: _("署名待ち"),
    Standing.SUBMITTED: _("受付確認待ち"),
    Standing.REJECTED: _("不受理"),
    Standing.NOT_YET_VALID: _("有効期間前"),
    Standing.VALID: _("有効"),
    Standing.EXPIRED: _("期間満了"),
    Standing.REVOKED: _("取消し済み"),
    Standing.SUPERSEDED: _("変更により失効"),
}
TONES: dict[Standing, str] = {
    Standing.DRAFT: "work",
    Standing.AWAITING_SIGNATURES: "work",
    Standing.SUBMITTED: "work",
    Standing.REJECTED: "stop",
    Standing.NOT_YET_VALID: "wait",
    Standing.VALID: "ok",
    Standing.EXPIRED: "stop",
    Standing.REVOKED: "stop",
    Standing.SUPERSEDED: "stop",
}
# Lifecycle states that are not (or not yet) a stored delegation: the period does not apply.
_BEFORE_ACTIVE = {
    "draft": Standing.DRAFT,
    "awaiting_signatures": Standing.AWAITING_SIGNATURES,
    "submitted": Standing.SUBMITTED,
    "rejected": Standing.REJECTED,
}


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("an aware datetime is required")
    return moment


def starts_at(day: date) -> datetime:
    """The first instant of a calendar day in Japan."""
    return datetime.combine(day, time.min, tzinfo=JST)


@dataclass(frozen=True, kw_only=True)
class Period:
    valid_from: date
    valid_until: date

    def standing_at(self, at: datetime) -> Standing:
        if _aware(at) < starts_at(self.valid_from):
            return Standing.NOT_YET_VALID
        if at >= starts_at(self.valid_until + timedelta(days=1)):
            return Standing.EXPIRED
        return Standing.VALID


def standing_at(
    *,
    lifecycle: str,
    valid_from: date,
    valid_until: date,
    revoked_at: datetime | None,
    superseded: bool,
    superseded_at: datetime | None,
    at: datetime,
) -> Standing:
    """The standing at the instant ``at`` (aware) of a delegation in lifecycle state ``lifecycle``
    (``Delegation.Status``' values; the validity service passes ``"active"`` for what it answers).

    Precedence: an act that ended the delegation (revocation, then replacement) is reported before
    the period, because it is final while the period only says when the delegation ran.
    """
    _aware(at)
    if lifecycle in _BEFORE_ACTIVE:
        return _BEFORE_ACTIVE[lifecycle]
    if revoked_at is not None and _aware(revoked_at) <= at:
        return Standing.REVOKED
    if lifecycle == "revoked" and revoked_at is None:
        return Standing.REVOKED
    if superseded and (superseded_at is None or _aware(superseded_at) <= at):
        return Standing.SUPERSEDED
    return Period(valid_from=valid_from, valid_until=valid_until).standing_at(at)


def today_in_japan(at: datetime) -> date:
    return _aware(at).astimezone(JST).date()
