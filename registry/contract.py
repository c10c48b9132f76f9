"""Contract dates (§10.2.1, §6.2.9): pure date arithmetic, no ORM."""

from __future__ import annotations

import calendar
from datetime import date

from django.conf import settings


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later; the 31st (or 29 February) falls back to the month's last day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def term_end(start: date, months: int | None = None) -> date:
    """The last day of a term starting on ``start`` (a 12-month term from 1 April ends on 31 March)."""
    months = settings.REGISTRY_CONTRACT_TERM_MONTHS if months is None else months
    return date.fromordinal(add_months(start, months).toordinal() - 1)


def renewed_end(current_end: date | None, today: date, months: int | None = None) -> date:
    """Renewal adds one term after the current end; a contract already over restarts today."""
    if current_end is None or current_end < today:
        return term_end(today, months)
    return term_end(date.fromordinal(current_end.toordinal() + 1), months)


def renewal_open(current_end: date | None, today: date, lead_days: int | None = None) -> bool:
    """Renewal is offered from ``lead_days`` before the end, and after it (to restart)."""
    if current_end is None:
        return False
    lead_days = settings.REGISTRY_RENEWAL_REMINDER_DAYS if lead_days is None else lead_days
    return (current_end - today).days <= lead_days


def retention_until(ended_on: date, years: int | None = None) -> date:
    """Application records are kept at least this long after the contract ends (§6.2.9: ≥ 10 years)."""
    years = settings.REGISTRY_RETENTION_YEARS if years is None else years
    return add_months(ended_on, 12 * years)
