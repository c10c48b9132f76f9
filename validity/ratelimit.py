"""Fixed-window rate limits in Django's cache, shared by every worker and host that shares it
(Redis in production, the database cache on the embedded default).

A rate is written ``"<count>/<seconds>"``. :func:`hit` counts one request and says how long the
caller must wait when the window's count is exceeded. On Redis one script does the counts, their
expiry and the penalty's read in one round trip (:class:`Script`); other backends use ``add`` then
``incr``. The validity API, the busiest path, counts with :func:`take` instead: on Redis each
worker takes tokens from the shared counters in small batches (:class:`Leases`), so that most
answers need no round trip to Redis and the window never admits more than its count. If the cache
cannot be reached the
request is let through and the failure logged: the validity service stays available while Redis is
down, as its rules favour answering over throttling.
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
    the busiest path of the service (the API's lease refreshes, the counting of unknown IDs). Here
    the connection is kept (one per thread, opened again after a fork); a missing script (Redis
    restarted or flushed) is loaded and run again; a connection the server closed is reopened once
    (not after a timeout: the script may have run). Any other failure is the caller's to handle.
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
    return f"validity:rl:{scope}:{ident}:{rate.seconds}:{int(now // rate.seconds)}", rate.seconds + 1


def wait_for(rate: Rate, count: int, now: float) -> int | None:
    """Seconds until the window holding ``now`` ends when ``count`` exceeds the rate, else None."""
    if count <= rate.count:
        return None
    return max(1, math.ceil((int(now // rate.seconds) + 1) * rate.seconds - now))


def loads(cache: BaseCache, raw: Any) -> Any:
    """A value as Django's Redis backend stored it (an int in clear, anything else pickled)."""
    return None if raw is None else cache._cache._serializer.loads(raw)  # type: ignore[attr-defined]


def penalty_key(scope: str, ident: str) -> str:
    return f"validity:penalty:{scope}:{ident}"


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
    counters: list[tuple[str, str, Rate]], *, now: float | None = None, penalty: tuple[str, str] | None = None
) -> int | None:
    """Count one request against each ``(scope, ident, rate)``; None when all allow it, else the
    longest wait in seconds (≥ 1). With ``penalty=(scope, ident)`` a running penalty (:func:`impose`)
    also makes the caller wait. On Redis all of it is one round trip."""
    now = time.time() if now is None else now
    keys = [window_key(scope, ident, rate, now) for scope, ident, rate in counters]
    try:
        counts, until = _count(_cache(), keys, penalty_key(*penalty) if penalty else None)
    except Exception:  # an unreachable cache must not take the service down
        log.exception("rate limit cache unavailable; %s not counted", [scope for scope, _i, _r in counters])
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


# --- Leased counting (the validity API) ----------------------------------------------------------
#
# A lease is a batch of a window's tokens one process (and thread) has taken from the shared
# counter in Redis: the counter is raised by the batch at once, so all processes and hosts together
# never admit more than the window's count. A lease is used within LEASE_SECONDS or what is left of
# it is given back (at the next refresh, in the same round trip), so an idle process holds nothing
# for long; the penalty of the key's organisation is read at every refresh, so a penalty imposed by
# another process applies within LEASE_SECONDS. Batches start at one token and double while a
# process uses them up within their time (MAX_BATCH at most), and never take more than an eighth of
# what is left of the window: near its end every process takes one token at a time, so a window is
# refused only when its tokens are spent or held, a few at most, by other processes.

LEASE_SECONDS = 1.0
MAX_BATCH = 64

# KEYS: the counters in order, then the penalty's name when ARGV[1] is "1". ARGV[2…]: per counter
# its count, lifetime, the tokens wanted and the tokens given back. A counter is not raised once an
# earlier one refused (granted 0): the address is counted before the key, as with every request.
_LEASE = """
local with_penalty = ARGV[1] == '1'
local counters = #KEYS - (with_penalty and 1 or 0)
local out = {}
local refused = false
for i = 1, counters do
  local a = 2 + (i - 1) * 4
  local count, wanted, back = tonumber(ARGV[a]), tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3])
  if back > 0 and redis.call('EXISTS', KEYS[i]) == 1 then redis.call('DECRBY', KEYS[i], back) end
  local granted = 0
  if not refused then
    local room = count - tonumber(redis.call('GET', KEYS[i]) or '0')
    if room > 0 then
      granted = math.min(wanted, math.max(1, math.floor(room / 8)))
      redis.call('INCRBY', KEYS[i], granted)
      redis.call('EXPIRE', KEYS[i], ARGV[a + 1], 'NX')
    else
      refused = true
    end
  end
  out[i] = granted
end
if with_penalty then out[counters + 1] = redis.call('GET', KEYS[#KEYS]) end
return out
"""
_leasing = Script(_LEASE)


@dataclass
class _Lease:
    prefix: str  # the cache's key prefix: another cache, other leases
    window: int  # the window's number (now // its seconds)
    left: int = 0
    granted: int = 0
    until: float = 0.0  # monotonic time after which what is left is given back
    wanted: int = 1


class Leases:
    """The leases of this process and thread, by counter; and the penalties read with them."""

    def __init__(self) -> None:
        self._local = threading.local()

    def table(self) -> tuple[dict[tuple[str, str, Rate], _Lease], dict[tuple[str, str], Any]]:
        local = self._local
        if getattr(local, "pid", None) != os.getpid():  # a forked process takes nothing over
            local.leases, local.penalties, local.pid = {}, {}, os.getpid()
        return local.leases, local.penalties

    def clear(self) -> None:
        self._local.pid = None


leases = Leases()


def take(
    counters: list[tuple[str, str, Rate]], *, now: float | None = None, penalty: tuple[str, str] | None = None
) -> int | None:
    """:func:`hit_many`, counted through this process's leases on Redis (one token of each counter,
    in order; a refused counter stops the count). Other cache backends count every request."""
    now = time.time() if now is None else now
    cache = _cache()
    client = redis_client(cache)
    if client is None:
        return hit_many(counters, now=now, penalty=penalty)
    table, penalties = leases.table()
    clock = time.monotonic()
    prefix = cache.key_prefix
    due = []
    for counter in counters:
        window = int(now // counter[2].seconds)
        lease = table.get(counter)
        if lease is None or lease.window != window or lease.prefix != prefix:
            # A new window (or cache): the old one's tokens are of no use.
            lease = table[counter] = _Lease(prefix, window, wanted=lease.wanted if lease else 1)
        if lease.left <= 0 or clock >= lease.until:
            lease.wanted = _wanted(lease, clock)
            due.append((counter, lease))
    if due:
        try:
            granted, until = _refresh(cache, client, due, penalty, now)
        except Exception:  # an unreachable cache must not take the service down
            log.exception("rate limit cache unavailable; %s not counted", [scope for scope, _i, _r in counters])
            return None
        for (_counter, lease), tokens in zip(due, granted, strict=True):
            lease.left = lease.granted = tokens
            lease.until = clock + LEASE_SECONDS
        if penalty is not None:
            penalties[penalty] = until
    waits: list[int | None] = []
    for counter in counters:
        lease = table[counter]
        if lease.left <= 0:  # refused: later counters were not counted either
            seconds = counter[2].seconds
            waits.append(max(1, math.ceil((lease.window + 1) * seconds - now)))
            break
        lease.left -= 1
    if penalty is not None:
        waits.append(penalty_left(penalties.get(penalty), now))
    if len(table) > 4096:  # addresses come and go: forget them (their tokens stay counted)
        table.clear()
    return longest(waits) if waits else None


def _wanted(lease: _Lease, clock: float) -> int:
    """The batch to ask for: twice the last one when it was used up in its time, what was used of it
    when its time ran out first, the same when there was none (a new window)."""
    if not lease.granted:
        return lease.wanted
    if lease.left <= 0 and clock < lease.until:
        return min(MAX_BATCH, lease.granted * 2)
    return max(1, lease.granted - max(lease.left, 0))


def _refresh(
    cache: BaseCache, client: Any, due: list[tuple[tuple[str, str, Rate], _Lease]], penalty: Any, now: float
) -> tuple[list[int], Any]:
    """New batches for the due leases (what is left of them given back) and the penalty's end."""
    names = []
    args: list[Any] = ["1" if penalty is not None else "0"]
    for counter, lease in due:
        window, ttl = window_key(*counter, now)
        names.append(cache.make_key(window))
        args += [counter[2].count, ttl, lease.wanted, max(lease.left, 0)]
    if penalty is not None:
        names.append(cache.make_key(penalty_key(*penalty)))
    reply = _leasing(client.connection_pool, len(names), *names, *args)
    until = loads(cache, reply[len(due)]) if penalty is not None else None
    return [int(tokens) for tokens in reply[: len(due)]], until


def penalty(scope: str, ident: str) -> int | None:
    """Seconds left of a penalty set with :func:`impose`, or None."""
    try:
        until = _cache().get(penalty_key(scope, ident))
    except Exception:
        log.exception("rate limit cache unavailable; penalty not checked")
        return None
    return penalty_left(until, time.time())


def impose(scope: str, ident: str, seconds: int) -> bool:
    """Start a penalty of ``seconds`` unless one is running; True when this call started it."""
    until = time.time() + seconds
    try:
        started = bool(_cache().add(penalty_key(scope, ident), until, timeout=seconds))
        if started:
            leases.table()[1][(scope, ident)] = until  # this process applies it at once
        return started
    except Exception:
        log.exception("rate limit cache unavailable; penalty not imposed")
        return False
