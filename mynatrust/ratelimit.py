"""Fixed-window rate limits in Django's cache, shared by every worker and host that shares it
(Redis in production, the database cache on the embedded default). Every app counts with it: the
validity API and form, sign-in failures, the service's mails.

A rate is written ``"<count>/<seconds>"``. :func:`hit` counts one request and says how long the
caller must wait when the window's count is exceeded. On Redis one script does the counts, their
expiry and the penalty's read in one round trip (:class:`Script`); other backends use ``add`` then
``incr``. What happens when the cache cannot be reached is the caller's choice (``fail_open``):
the validity service answers anyway (its rules favour answering over throttling), mails are not
sent (see docs/security.md).
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import threading
import time
import weakref
from dataclasses import dataclass
from typing import Any

import redis
from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.redis import RedisCache
from django.utils.translation import gettext

log = logging.getLogger(__name__)


class Unavailable(Exception):
    """The rate-limit cache could not be reached and the caller asked not to go on uncounted."""


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


def malformed_setting(name: str) -> str:
    """What a system check says of the rate setting *name* that :meth:`Rate.parse` refuses, in the
    language active when it runs: one wording for every app's rates (mynatrust.E016, validity.E002)."""
    return gettext("%(name)s は「回数/秒数」の形で指定してください（例：600/60）。") % {"name": name}


def _cache() -> BaseCache:
    return caches[settings.RATE_LIMIT_CACHE]


_clients: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()


def redis_client(cache: BaseCache | None = None) -> Any | None:
    """The redis-py client behind the rate-limit cache when it is Redis, else None.

    Django's Redis backend builds a new client object on every call, which costs more than the
    round trip itself; one client per cache connection pool is kept here (clients are thread-safe
    and their pool reconnects after a fork)."""
    cache = cache or _cache()
    if not isinstance(cache, RedisCache):
        return None
    backend = cache._cache
    client = _clients.get(backend)
    if client is None:
        client = _clients[backend] = backend.get_client(write=True)
    return client


class Script:
    """One Lua script run with EVALSHA on a Redis connection kept per process and thread.

    redis-py's client takes a connection from its pool, wraps the call in its retry and metrics
    machinery and gives the connection back on every command: more CPU than the round trip itself on
    the busiest paths of the service (the API's lease refreshes, sign-in). Here the connection is
    kept (one per thread, opened again after a fork); a missing script (Redis restarted or flushed)
    is loaded and run again; a connection the server closed is reopened once (not after a timeout:
    the script may have run). Any other failure is the caller's to handle.
    """

    def __init__(self, source: str) -> None:
        self.source = source
        self.sha = hashlib.sha1(source.encode()).hexdigest()  # noqa: S324 (Redis names scripts by SHA-1)
        self._local = threading.local()

    def __call__(self, pool: Any, *args: Any) -> Any:
        connection = self._connection(pool)
        try:
            return self._run(connection, args)
        except redis.ConnectionError:  # closed by the server (a restart, an idle timeout): once more
            connection.disconnect()  # the next command connects again
            return self._run(connection, args)

    def _connection(self, pool: Any) -> Any:
        local = self._local
        if getattr(local, "pool", None) is not pool or local.pid != os.getpid():
            local.connection = pool.connection_class(**pool.connection_kwargs)
            local.pool, local.pid = pool, os.getpid()
        return local.connection

    def _run(self, connection: Any, args: tuple[Any, ...]) -> Any:
        connection.send_command("EVALSHA", self.sha, *args)
        try:
            return connection.read_response()
        except redis.exceptions.NoScriptError:
            connection.send_command("SCRIPT", "LOAD", self.source)
            connection.read_response()
            connection.send_command("EVALSHA", self.sha, *args)
            return connection.read_response()


def window_key(scope: str, ident: str, rate: Rate, now: float) -> tuple[str, int]:
    """The counter of ``ident`` in ``scope`` for the window holding ``now``, and its lifetime."""
    return f"rl:{scope}:{ident}:{rate.seconds}:{int(now // rate.seconds)}", rate.seconds + 1


def wait_for(rate: Rate, count: int, now: float) -> int | None:
    """Seconds until the window holding ``now`` ends when ``count`` exceeds the rate, else None."""
    if count <= rate.count:
        return None
    return max(1, math.ceil((int(now // rate.seconds) + 1) * rate.seconds - now))


def loads(cache: BaseCache, raw: Any) -> Any:
    """A value as Django's Redis backend stored it (an int in clear, anything else pickled)."""
    return None if raw is None else cache._cache._serializer.loads(raw)  # type: ignore[attr-defined]


def penalty_key(scope: str, ident: str) -> str:
    return f"rl-penalty:{scope}:{ident}"


def _count(cache: BaseCache, counters: list[tuple[str, int]], penalty_name: str | None) -> tuple[list[int], Any]:
    """Each window's new count and the penalty's end (or None): one round trip on Redis."""
    client = redis_client(cache)
    if client is not None:
        names = [cache.make_key(key) for key, _ttl in counters]
        if penalty_name is not None:
            names.append(cache.make_key(penalty_name))
        results = _counting(
            client.connection_pool,
            len(names),
            *names,
            "1" if penalty_name is not None else "0",
            *(ttl for _key, ttl in counters),
        )
        counts = [int(count) for count in results[: len(counters)]]
        raw = results[len(counters)] if penalty_name is not None else None  # a missing penalty reads as nil
        return counts, loads(cache, raw)
    counts = []
    for key, ttl in counters:
        cache.add(key, 0, timeout=ttl)
        try:
            counts.append(int(cache.incr(key)))
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=ttl)
            counts.append(1)
    return counts, cache.get(penalty_name) if penalty_name else None


# Each counter counted and its window's expiry set (once), then the penalty read: one round trip.
# KEYS: the counters, then the penalty's name when ARGV[1] is "1"; ARGV[2…]: each counter's lifetime.
_COUNT = """
local with_penalty = ARGV[1] == '1'
local counters = #KEYS - (with_penalty and 1 or 0)
local out = {}
for i = 1, counters do
  out[i] = redis.call('INCR', KEYS[i])
  redis.call('EXPIRE', KEYS[i], ARGV[i + 1], 'NX')
end
if with_penalty then out[counters + 1] = redis.call('GET', KEYS[#KEYS]) end
return out
"""
_counting = Script(_COUNT)


def penalty_left(until: Any, now: float) -> int | None:
    """Seconds left of a penalty whose stored end is ``until`` (None: no penalty running)."""
    if until is None:
        return None
    left = math.ceil(float(until) - now)
    return left if left > 0 else None


def hit_many(
    counters: list[tuple[str, str, Rate]],
    *,
    now: float | None = None,
    penalty: tuple[str, str] | None = None,
    fail_open: bool = True,
) -> int | None:
    """Count one request against each ``(scope, ident, rate)``; None when all allow it, else the
    longest wait in seconds (≥ 1). With ``penalty=(scope, ident)`` a running penalty (:func:`impose`)
    also makes the caller wait. On Redis all of it is one round trip. When the cache cannot be
    reached the failure is logged and the request let through, or :class:`Unavailable` raised when
    ``fail_open`` is false."""
    now = time.time() if now is None else now
    keys = [window_key(scope, ident, rate, now) for scope, ident, rate in counters]
    try:
        counts, until = _count(_cache(), keys, penalty_key(*penalty) if penalty else None)
    except Exception as exc:  # an unreachable cache must not take the service down
        log.exception("rate limit cache unavailable; %s not counted", [scope for scope, _i, _r in counters])
        if not fail_open:
            raise Unavailable from exc
        return None
    return longest(
        [wait_for(rate, count, now) for (_scope, _ident, rate), count in zip(counters, counts, strict=True)]
        + [penalty_left(until, now)]
    )


def longest(waits: list[int | None]) -> int | None:
    """The longest of several waits (None: no wait at all)."""
    return max((wait for wait in waits if wait is not None), default=None)


def hit(
    scope: str, ident: str, rate: Rate, *, now: float | None = None, penalty: tuple[str, str] | None = None
) -> int | None:
    """Count one request of ``ident`` in ``scope``: :func:`hit_many` with one counter."""
    return hit_many([(scope, ident, rate)], now=now, penalty=penalty)


def penalty(scope: str, ident: str) -> int | None:
    """Seconds left of a penalty set with :func:`impose`, or None."""
    try:
        until = _cache().get(penalty_key(scope, ident))
    except Exception:
        log.exception("rate limit cache unavailable; penalty not checked")
        return None
    return penalty_left(until, time.time())


def impose(scope: str, ident: str, seconds: int) -> float | None:
    """Start a penalty of ``seconds`` unless one is running; its end when this call started it."""
    until = time.time() + seconds
    try:
        started = bool(_cache().add(penalty_key(scope, ident), until, timeout=seconds))
    except Exception:
        log.exception("rate limit cache unavailable; penalty not imposed")
        return None
    return until if started else None


def lift(scope: str, ident: str) -> None:
    """End a penalty set with :func:`impose` before its time."""
    try:
        _cache().delete(penalty_key(scope, ident))
    except Exception:
        log.exception("rate limit cache unavailable; penalty not lifted")
