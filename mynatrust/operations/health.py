"""Health checks reported by /healthz. Apps add theirs (audit backlog, revocation data freshness, key
files…) from their AppConfig.ready()::

    from mynatrust.operations import health

    def audit_backlog() -> str:
        return health.OK if backlog() < 10_000 else health.WARN

    health.register("audit_backlog", audit_backlog)

A check returns ``health.OK``, ``health.WARN`` (reported, still healthy) or ``health.ERROR``
(or True/False/None for ok/error/ok); an exception counts as ``error``. Any error makes /healthz
answer 503 so the load balancer takes the host out. Checks must be fast (they run on every probe)
and must not reveal details: /healthz is public and shows only names and statuses.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import connection

OK = "ok"
WARN = "warn"
ERROR = "error"

log = logging.getLogger(__name__)

Check = Callable[[], str | bool | None]
_checks: dict[str, Check] = {}


def register(name: str, func: Check) -> Check:
    """Add (or replace) the check called ``name``."""
    _checks[name] = func
    return func


def unregister(name: str) -> None:
    _checks.pop(name, None)


def registered() -> dict[str, Check]:
    return dict(_checks)


def _status(value: str | bool | None) -> str:
    if value is None or value is True:
        return OK
    if value is False:
        return ERROR
    return value if value in (OK, WARN, ERROR) else ERROR


def run_checks() -> tuple[bool, dict[str, str]]:
    """(healthy, {name: status}) for every registered check, in registration order."""
    results: dict[str, str] = {}
    for name, func in _checks.items():
        try:
            results[name] = _status(func())
        except Exception:  # a failing check is "error", never a 500
            log.exception("health check %s failed", name)
            results[name] = ERROR
    return all(status != ERROR for status in results.values()), results


def database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return OK


def rate_limit_cache() -> str:
    """The shared cache of rate limits and lockout counters (Redis in production). Unreachable is a
    warning, not an error: every host shares it, and the validity API answers without it; mails
    others cause are held back meanwhile (mynatrust/mail_limits.py)."""
    from mynatrust import ratelimit

    try:
        ratelimit._cache().get("rl:health")
    except Exception:  # noqa: BLE001 (whatever the cache raises, it is unreachable)
        log.warning("rate limit cache unavailable")
        return WARN
    return OK


register("database", database)
register("rate_limit_cache", rate_limit_cache)


def mail_outbox() -> str:
    """Mail waiting longer than ``MAIL_OUTBOX_STALE_MINUTES`` to be sent: the outbox worker
    (``send_mail_outbox --loop``) is not running, or the mail server refuses everything."""
    from datetime import timedelta

    from django.conf import settings

    from mynatrust.outbox.services import oldest_pending_age

    age = oldest_pending_age()
    return WARN if age is not None and age > timedelta(minutes=settings.MAIL_OUTBOX_STALE_MINUTES) else OK


register("mail_outbox", mail_outbox)
