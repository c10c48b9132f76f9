"""Fixed-window rate limits in Django's cache, shared by every worker and host that shares it
(Redis in production, the database cache on the embedded default).

A rate is written ``"<count>/<seconds>"``. :func:`hit` counts one request and says how long the
caller must wait when the window's count is exceeded. On Redis one pipelined round trip does the
count and its expiry; other backends use ``add`` then ``incr``. If the cache cannot be reached the
request is let through and the failure logged: the validity service stays available while Redis is
down, as its rules favour answering over throttling.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.redis import RedisCache

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: int

    @classmethod
    def parse(cls, text: str) -> Rate:
        count, _, seconds = text.partition("/")
        rate = cls(int(count), int(seconds))
        if rate.count < 1 or rate.seconds < 1:
            raise ValueError(f"a rate is '<count>/<seconds>' with both at least 1, not {text!r}")
        return rate


def _cache() -> BaseCache:
    return caches[settings.VALIDITY_RATE_LIMIT_CACHE]


def _penalty_key(scope: str, ident: str) -> str:
    return f"validity:penalty:{scope}:{ident}"


def _count(cache: BaseCache, counters: list[tuple[str, int]], penalty_key: str | None) -> tuple[list[int], Any]:
    """Each window's new count and the penalty's end (or None): one round trip on Redis."""
    if isinstance(cache, RedisCache):
        client = cache._cache.get_client(write=True)
        pipe = client.pipeline(transaction=False)
        for key, ttl in counters:
            full = cache.make_and_validate_key(key)
            pipe.incr(full)
            pipe.expire(full, ttl, nx=True)
        if penalty_key is not None:
            pipe.get(cache.make_and_validate_key(penalty_key))
        results = pipe.execute()
        counts = [int(results[2 * n]) for n in range(len(counters))]
        raw = results[-1] if penalty_key is not None else None
        return counts, None if raw is None else cache._cache._serializer.loads(raw)  # type: ignore[attr-defined]
    counts = []
    for key, ttl in counters:
        cache.add(key, 0, timeout=ttl)
        try:
            counts.append(int(cache.incr(key)))
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=ttl)
            counts.append(1)
    return counts, cache.get(penalty_key) if penalty_key else None


def _left(until: Any, now: float) -> int | None:
    if until is None:
        return None
    left = math.ceil(float(until) - now)
    return left if left > 0 else None


def hit_many(
    counters: list[tuple[str, str, Rate]], *, now: float | None = None, penalty: tuple[str, str] | None = None
) -> int | None:
    """Count one request against each ``(scope, ident, rate)``; None when all allow it, else the
    longest wait in seconds (≥ 1). With ``penalty=(scope, ident)`` a running penalty (:func:`impose`)
    also makes the caller wait. On Redis all of it is one round trip."""
    now = time.time() if now is None else now
    windows = [int(now // rate.seconds) for _scope, _ident, rate in counters]
    keys = [
        (f"validity:rl:{scope}:{ident}:{rate.seconds}:{window}", rate.seconds + 1)
        for (scope, ident, rate), window in zip(counters, windows, strict=True)
    ]
    try:
        counts, until = _count(_cache(), keys, _penalty_key(*penalty) if penalty else None)
    except Exception:  # an unreachable cache must not take the service down
        log.exception("rate limit cache unavailable; %s not counted", [scope for scope, _i, _r in counters])
        return None
    waits = [
        max(1, math.ceil((window + 1) * rate.seconds - now))
        for (_scope, _ident, rate), window, count in zip(counters, windows, counts, strict=True)
        if count > rate.count
    ]
    left = _left(until, now)
    if left is not None:
        waits.append(left)
    return max(waits) if waits else None


def hit(
    scope: str, ident: str, rate: Rate, *, now: float | None = None, penalty: tuple[str, str] | None = None
) -> int | None:
    """Count one request of ``ident`` in ``scope``: :func:`hit_many` with one counter."""
    return hit_many([(scope, ident, rate)], now=now, penalty=penalty)


def penalty(scope: str, ident: str) -> int | None:
    """Seconds left of a penalty set with :func:`impose`, or None."""
    try:
        until = _cache().get(_penalty_key(scope, ident))
    except Exception:
        log.exception("rate limit cache unavailable; penalty not checked")
        return None
    return _left(until, time.time())


def impose(scope: str, ident: str, seconds: int) -> bool:
    """Start a penalty of ``seconds`` unless one is running; True when this call started it."""
    until = time.time() + seconds
    try:
        return bool(_cache().add(_penalty_key(scope, ident), until, timeout=seconds))
    except Exception:
        log.exception("rate limit cache unavailable; penalty not imposed")
        return False
