"""API key authentication for the validity API.

A key's row (with its organisation's name and status) is kept in the rate-limit cache for
``VALIDITY_KEY_CACHE_SECONDS``, so a busy key costs no database query: Redis answers in a fraction of
a database round trip. Revoking a key and every decision on an organisation delete the cached
rows when they commit (services.py), so they take effect at once on every worker and host; the short
lifetime bounds the damage should a deletion ever be lost. On a cache miss or an unreachable cache,
one indexed query finds the row (key joined to its organisation). The last-used time is written at
most once per ``VALIDITY_LAST_USED_RESOLUTION`` seconds.
"""

from __future__ import annotations

import copy
import json
import logging
import time
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from validity import keys, ratelimit
from validity.models import ApiKey, RecipientOrganisation

log = logging.getLogger(__name__)

_KEY_FIELDS = ("id", "prefix", "label", "secret_sha256", "expires_at", "revoked_at", "last_used_at")
_ORG_FIELDS = ("id", "public_id", "name", "status")


def _cache_key(prefix: str) -> str:
    return f"validity:key:{prefix}"


def _as_record(key: ApiKey) -> str:
    """The cached row, as JSON (a script in Redis reads the secret's digest and the organisation)."""
    fields: dict[str, Any] = {name: getattr(key, name) for name in _KEY_FIELDS}
    fields["organisation"] = {name: getattr(key.organisation, name) for name in _ORG_FIELDS}
    return json.dumps(fields, cls=DjangoJSONEncoder)


_decoded: dict[str | bytes, ApiKey] = {}


def _from_record(record: str | bytes) -> ApiKey:
    """The key a cached row describes. The same row (byte for byte) gives the same instance, kept per
    process: building model instances cost more than the rest of the key check. Callers do not
    change it (:func:`_touch` changes a copy)."""
    key = _decoded.get(record)
    if key is None:
        if len(_decoded) >= 512:
            _decoded.clear()
        key = _decoded[record] = _decode(record)
    return key


def _decode(record: str | bytes) -> ApiKey:
    fields = json.loads(record)
    organisation = fields.pop("organisation")
    for name in ("expires_at", "revoked_at", "last_used_at"):
        fields[name] = parse_datetime(fields[name]) if fields[name] else None
    key = ApiKey(**fields)
    key.organisation = RecipientOrganisation(**organisation)
    return key


def _cached(prefix: str) -> ApiKey | None:
    cache = caches[settings.VALIDITY_RATE_LIMIT_CACHE]
    try:
        client = ratelimit.redis_client(cache)
        name = cache.make_and_validate_key(_cache_key(prefix))
        record = client.get(name) if client is not None else cache.get(_cache_key(prefix))
    except Exception:  # an unreachable cache: the database answers
        log.exception("key cache unavailable")
        return None
    return _from_record(record) if record else None


def _remember(key: ApiKey) -> None:
    cache = caches[settings.VALIDITY_RATE_LIMIT_CACHE]
    try:
        client = ratelimit.redis_client(cache)
        if client is not None:  # stored in clear, for the admission script
            name = cache.make_and_validate_key(_cache_key(key.prefix))
            client.set(name, _as_record(key), ex=settings.VALIDITY_KEY_CACHE_SECONDS)
        else:
            cache.set(_cache_key(key.prefix), _as_record(key), timeout=settings.VALIDITY_KEY_CACHE_SECONDS)
    except Exception:
        log.exception("key cache unavailable")


def forget(prefixes: Iterable[str]) -> None:
    """Drop cached rows (after a revocation or a decision on the organisation)."""
    names = [_cache_key(prefix) for prefix in prefixes]
    if not names:
        return
    try:
        caches[settings.VALIDITY_RATE_LIMIT_CACHE].delete_many(names)
    except Exception:
        log.exception("key cache unavailable; rows expire within VALIDITY_KEY_CACHE_SECONDS")


def _lookup(prefix: str) -> ApiKey | None:
    """The key's row from the cache, else from the database (then cached)."""
    key = _cached(prefix)
    if key is None:
        key = ApiKey.objects.select_related("organisation").filter(prefix=prefix).first()
        if key is not None:
            _remember(key)
    return key


def _usable(key: ApiKey | None, secret_sha256: str) -> ApiKey | None:
    if key is None or not keys.digest_matches(secret_sha256, key.secret_sha256):
        return None
    now = timezone.now()
    if not key.is_usable(now):
        return None
    _touch(key, now)
    return key


def authenticate(header: str) -> ApiKey | None:
    """The usable key named by an ``Authorization`` header value, or None (wrong, revoked, expired
    or its organisation not approved: the caller is not told which)."""
    parts = keys.from_authorization(header)
    if parts is None:
        return None
    prefix, secret = parts
    return _usable(_lookup(prefix), keys.digest(secret))


# One round trip to Redis admits a request: it reads the key's cached row, counts the client
# address and — only when the presented secret's digest is the row's — the key, and reads the
# organisation's penalty for unknown IDs. The digest compared here only decides what to count; the
# key is verified again, in constant time, in Python.
_ADMIT = """
local record = redis.call('GET', KEYS[1])
local address = redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], ARGV[1], 'NX')
if not record then return {false, address} end
local ok, row = pcall(cjson.decode, record)
if not ok or row['secret_sha256'] ~= ARGV[3] then return {record, address} end
local key = redis.call('INCR', KEYS[3])
redis.call('EXPIRE', KEYS[3], ARGV[2], 'NX')
return {record, address, key, redis.call('GET', ARGV[4] .. row['organisation']['public_id'])}
"""


_admission = ratelimit.Script(_ADMIT)


def admit(header: str, *, ip: str, per_ip: ratelimit.Rate, per_key: ratelimit.Rate) -> tuple[ApiKey | None, int | None]:
    """The usable key named by an ``Authorization`` value (or None), and how many seconds the caller
    must wait (or None): the address counted against ``per_ip``, a usable key against ``per_key``,
    a running penalty of its organisation (``ratelimit.impose("unknown", …)``) applied.

    With Redis, one round trip does it all while the key's row is cached; otherwise (a cache miss,
    another cache backend, Redis unreachable) the row comes from the database and the counting
    from :func:`ratelimit.hit_many`.
    """
    address = ("ip", ip, per_ip)
    parts = keys.from_authorization(header)
    if parts is None:
        return None, ratelimit.hit_many([address])
    prefix, secret = parts
    secret_sha256 = keys.digest(secret)
    now = time.time()
    reply = _admit_in_redis(prefix, secret_sha256, address, per_key, now)
    if reply is None:
        key = _usable(_lookup(prefix), secret_sha256)
        counters = [address] + ([("key", prefix, per_key)] if key is not None else [])
        penalty = ("unknown", key.organisation.public_id) if key is not None else None
        return key, ratelimit.hit_many(counters, now=now, penalty=penalty)
    record, address_count, key_count, until = reply
    wait = ratelimit.wait_for(per_ip, address_count, now)
    if record is None:  # not cached: the database finds the row, then the key is counted
        key = _usable(_lookup(prefix), secret_sha256)
        if key is None:
            return None, wait
        penalty = ("unknown", key.organisation.public_id)
        return key, ratelimit.longest([wait, ratelimit.hit_many([("key", prefix, per_key)], now=now, penalty=penalty)])
    if key_count is None:  # the secret is wrong: only the address was counted
        return None, wait
    key = _usable(_from_record(record), secret_sha256)
    return key, ratelimit.longest(
        [wait, ratelimit.wait_for(per_key, key_count, now), ratelimit.penalty_left(until, now)]
    )


def _admit_in_redis(
    prefix: str, secret_sha256: str, address: tuple[str, str, ratelimit.Rate], per_key: ratelimit.Rate, now: float
) -> tuple[bytes | None, int, int | None, Any] | None:
    """(cached row, address count, key count or None, penalty end or None) from the admission
    script; None when the cache is not Redis or cannot be reached."""
    cache = caches[settings.VALIDITY_RATE_LIMIT_CACHE]
    try:
        client = ratelimit.redis_client(cache)
        if client is None:
            return None
        address_counter, address_ttl = ratelimit.window_key(*address, now)
        key_counter, key_ttl = ratelimit.window_key("key", prefix, per_key, now)
        # make_key, not make_and_validate_key: the names are short ASCII (a well-formed prefix, an
        # address), which is all the validation (memcached's limits) looks at.
        row, address_count, *key = _admission(
            client.connection_pool,
            3,
            cache.make_key(_cache_key(prefix)),
            cache.make_key(address_counter),
            cache.make_key(key_counter),
            address_ttl,
            key_ttl,
            secret_sha256,
            cache.make_key(ratelimit.penalty_key("unknown", "")),
        )
    except Exception:  # an unreachable cache must not take the service down
        log.exception("rate limit cache unavailable; admission without it")
        return None
    key_count = int(key[0]) if key else None
    until = ratelimit.loads(cache, key[1]) if len(key) > 1 else None
    return row or None, int(address_count), key_count, until


def _touch(key: ApiKey, now: datetime) -> None:
    resolution = timedelta(seconds=settings.VALIDITY_LAST_USED_RESOLUTION)
    if key.last_used_at is None or now - key.last_used_at >= resolution:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        fresh = copy.copy(key)  # not the instance _from_record shares
        fresh.last_used_at = now
        _remember(fresh)
