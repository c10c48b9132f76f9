"""Sign-in failures counted per account, whatever the spelling of its address and the client
address, beside django-axes (which counts per account and client address).

django-axes alone lets an attacker who spreads guesses over many client addresses try
``AXES_FAILURE_LIMIT`` passwords per address. This counter, kept in the shared cache (Redis in
production), refuses every sign-in to an account, even with the right password, once it has
``ACCOUNT_FAILURE_LIMIT`` failures within ``AXES_COOLOFF_TIME`` of the first one. A sign-in asks the
cache once, after the password was checked: a failure counts (INCR), a success reads the count;
on Redis each is one round trip. Unknown addresses are counted like known ones, so the answer never
tells whether an account exists. If the cache cannot be reached, django-axes still applies and the
failure is logged."""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.cache import caches
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

import audit
from mynatrust import ratelimit
from mynatrust.lib.email_address import canonical_email

log = logging.getLogger(__name__)

# KEYS[1]: the account's counter. ARGV[1]: "1" for a failure (counted, its expiry set once), "0"
# for a success (only read). ARGV[2]: the counter's lifetime in seconds.
_SETTLE = """
if ARGV[1] == '1' then
  local n = redis.call('INCR', KEYS[1])
  redis.call('EXPIRE', KEYS[1], ARGV[2], 'NX')
  return n
end
return tonumber(redis.call('GET', KEYS[1]) or '0')
"""
_settling = ratelimit.Script(_SETTLE)


def axes_username(request: HttpRequest | None, credentials: dict[str, Any] | None) -> str:
    """AXES_USERNAME_CALLABLE: django-axes counts the canonical address, not the one typed."""
    return canonical_email(str((credentials or {}).get(settings.AXES_USERNAME_FORM_FIELD) or ""))


def counter_key(username: str) -> str:
    digest = hashlib.sha256(canonical_email(username).encode()).hexdigest()[:32]
    return f"auth:account-failures:{digest}"


def settle(username: str, *, succeeded: bool) -> bool:
    """Count a failed sign-in, or read the count for a successful one: True when the account is
    locked (the sign-in must be refused)."""
    cache = caches[settings.RATE_LIMIT_CACHE]
    key = counter_key(username)
    ttl = int(settings.AXES_COOLOFF_TIME.total_seconds())
    try:
        client = ratelimit.redis_client(cache)
        if client is not None:
            # EVALSHA on a kept connection (the script is loaded again only after a Redis restart):
            # one round trip.
            count = int(_settling(client.connection_pool, 1, cache.make_key(key), "0" if succeeded else "1", ttl))
        elif succeeded:
            count = int(cache.get(key) or 0)
        else:
            cache.add(key, 0, timeout=ttl)
            count = int(cache.incr(key))
    except Exception:  # the cache is down: django-axes still counts per account and client address
        log.exception("account failure counter unavailable")
        return False
    return count >= settings.ACCOUNT_FAILURE_LIMIT


def clear(username: str) -> None:
    """Forget an account's failures (its password was just reset through its mailbox)."""
    try:
        caches[settings.RATE_LIMIT_CACHE].delete(counter_key(username))
    except Exception:
        log.exception("account failure counter unavailable")


class AccountBackend(ModelBackend):
    """Django's model backend on the canonical address, with the per-account failure counter."""

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> Any:
        if username is None:
            username = kwargs.get("email")
        if username is None or password is None:
            return None
        name = canonical_email(username)
        user = super().authenticate(request, username=name, password=password, **kwargs)
        if settle(name, succeeded=user is not None):
            audit.record_tallied("auth.locked_out", actor=None, key=name[:254], username=name[:254], scope="account")
            if request is not None:
                # django-axes shows its lockout page (429) and records the lockout, not a failure.
                request.axes_locked_out = True  # type: ignore[attr-defined]
            raise PermissionDenied
        return user
