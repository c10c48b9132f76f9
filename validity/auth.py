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

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.utils import timezone

from validity import keys
from validity.models import ApiKey, RecipientOrganisation

log = logging.getLogger(__name__)

_KEY_FIELDS = ("id", "prefix", "label", "secret_sha256", "expires_at", "revoked_at", "last_used_at")
_ORG_FIELDS = ("id", "public_id", "name", "status")


def _cache_key(prefix: str) -> str:
    return f"validity:key:{prefix}"


def _as_record(key: ApiKey) -> dict[str, Any]:
    return {
        **{name: getattr(key, name) for name in _KEY_FIELDS},
        "organisation": {name: getattr(key.organisation, name) for name in _ORG_FIELDS},
    }


def _from_record(record: dict[str, Any]) -> ApiKey:
    key = ApiKey(**{name: record[name] for name in _KEY_FIELDS})
    key.organisation = RecipientOrganisation(**record["organisation"])
    return key


def _cached(prefix: str) -> ApiKey | None:
    try:
        record = caches[settings.VALIDITY_RATE_LIMIT_CACHE].get(_cache_key(prefix))
    except Exception:  # an unreachable cache: the database answers
        log.exception("key cache unavailable")
        return None
    return _from_record(record) if record else None


def _remember(key: ApiKey) -> None:
    try:
        caches[settings.VALIDITY_RATE_LIMIT_CACHE].set(
            _cache_key(key.prefix), _as_record(key), timeout=settings.VALIDITY_KEY_CACHE_SECONDS
        )
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


def authenticate(header: str) -> ApiKey | None:
    """The usable key named by an ``Authorization`` header value, or None (wrong, revoked, expired
    or its organisation not approved: the caller is not told which)."""
    parts = keys.from_authorization(header)
    if parts is None:
        return None
    prefix, secret = parts
    key = _cached(prefix)
    if key is None:
        key = ApiKey.objects.select_related("organisation").filter(prefix=prefix).first()
        if key is None:
            return None
        _remember(key)
    if not keys.secret_matches(secret, key.secret_sha256):
        return None
    now = timezone.now()
    if not key.is_usable(now):
        return None
    _touch(key, now)
    return key


def _touch(key: ApiKey, now: datetime) -> None:
    resolution = timedelta(seconds=settings.VALIDITY_LAST_USED_RESOLUTION)
    if key.last_used_at is None or now - key.last_used_at >= resolution:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
        _remember(key)
