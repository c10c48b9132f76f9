"""Rate limits of the validity API and form, on the project's shared counters
(:mod:`mynatrust.ratelimit`, re-exported here).

The validity API, the busiest path, counts with :func:`take`: on Redis each worker takes tokens
from the shared counters in small batches (leases), so that most answers need no round trip to
Redis and the window never admits more than its count. If the cache cannot be reached the request
is let through and the failure logged: the validity service stays available while Redis is down,
as its rules favour answering over throttling.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from dataclasses import dataclass
from typing import Any

from django.core.cache.backends.base import BaseCache

from mynatrust import ratelimit as shared
from mynatrust.ratelimit import (
    Rate,
    Script,
    _cache,
    hit,
    hit_many,
    loads,
    longest,
    penalty,
    penalty_key,
    penalty_left,
    redis_client,
    window_key,
)

__all__ = [
    "LEASE_SECONDS",
    "MAX_BATCH",
    "Rate",
    "Script",
    "hit",
    "hit_many",
    "impose",
    "leases",
    "penalty",
    "penalty_key",
    "take",
    "window_key",
]

log = logging.getLogger(__name__)


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


def impose(scope: str, ident: str, seconds: int) -> bool:
    """Start a penalty of ``seconds`` unless one is running; True when this call started it. This
    process applies it at once (other processes at their next lease refresh)."""
    until = shared.impose(scope, ident, seconds)
    if until is None:
        return False
    leases.table()[1][(scope, ident)] = until
    return True
