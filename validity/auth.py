"""API key authentication and admission for the validity API.

Each process keeps the rows of the keys it has used (with their organisation's name and status) for
at most ``VALIDITY_KEY_CACHE_SECONDS``; a key not kept is read with one indexed query (key joined to
its organisation). What a kept row says is confirmed by the database whenever it matters: the
answer's statement appends its audit event only while the key is still usable as kept
(:class:`KeyGuard`, checked in that same statement at no extra round trip), and every other response
given to a key (an error about its request) first reads the key again (:func:`confirm`). So a
revocation, an expiry or a decision on the organisation applies to the very next request on every
worker and host, and nothing is answered to a key that was no longer usable. The address and the key
are counted through this process's leases on the shared counters (:func:`validity.ratelimit.take`):
most requests need no round trip to Redis at all. The last-used time is written at most once per
``VALIDITY_LAST_USED_RESOLUTION`` seconds by each process.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone

from validity import keys, ratelimit
from validity.models import ApiKey, RecipientOrganisation


class KeyNoLongerUsable(Exception):
    """The key a process kept was revoked, expired or its organisation changed meanwhile.
    ``read_again``: the database was already asked (:func:`confirm`) and said so."""

    def __init__(self, *, read_again: bool = False) -> None:
        super().__init__()
        self.read_again = read_again


# prefix -> (the key's row with its organisation, when it was read: time.monotonic())
_kept: dict[str, tuple[ApiKey, float]] = {}


def _kept_row(prefix: str) -> ApiKey | None:
    """The key's row if this process keeps it (and has kept it for less than the setting)."""
    kept = _kept.get(prefix)
    if kept is not None and time.monotonic() - kept[1] < settings.VALIDITY_KEY_CACHE_SECONDS:
        return kept[0]
    return None


def _lookup(prefix: str) -> ApiKey | None:
    """The key's row as this process keeps it, else from the database (then kept)."""
    key = _kept_row(prefix)
    if key is not None:
        return key
    key = ApiKey.objects.select_related("organisation").filter(prefix=prefix).first()
    if key is None:
        _kept.pop(prefix, None)
        return None
    if len(_kept) >= 4096:
        _kept.clear()
    _kept[prefix] = (key, time.monotonic())
    return key


def forget(prefixes: Iterable[str]) -> None:
    """Drop kept rows in this process (after a revocation or a decision on the organisation; other
    processes learn it from the database at their next request with the key, see the module)."""
    for prefix in prefixes:
        _kept.pop(prefix, None)


def confirm(key: ApiKey) -> ApiKey | None:
    """The key read again from the database, if it is still usable (else None)."""
    forget([key.prefix])
    fresh = _lookup(key.prefix)
    if fresh is None or fresh.pk != key.pk or not fresh.is_usable(timezone.now()):
        return None
    return fresh


def _usable(key: ApiKey | None, secret_sha256: str) -> ApiKey | None:
    if key is None or not keys.digest_matches(secret_sha256, key.secret_sha256):
        return None
    return _in_use(key)


def _in_use(key: ApiKey) -> ApiKey | None:
    """``key`` if it is usable now (its last-used time written when due), else None."""
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


def admit(header: str, *, ip: str, per_ip: ratelimit.Rate, per_key: ratelimit.Rate) -> tuple[ApiKey | None, int | None]:
    """The usable key named by an ``Authorization`` value (or None), and how many seconds the caller
    must wait (or None): the address counted against ``per_ip`` first (a refused address learns
    nothing about its key), then a key whose secret is right against ``per_key``, with a running
    penalty of its organisation (``ratelimit.impose("unknown", …)``) applied.
    """
    now = time.time()
    address = ("ip", ip, per_ip)
    parts = keys.from_authorization(header)
    if parts is None:
        return None, ratelimit.take([address], now=now)
    prefix, secret = parts
    secret_sha256 = keys.digest(secret)
    key = kept = _kept_row(prefix)
    if key is None:  # the address is counted before the database is asked about the key
        wait = ratelimit.take([address], now=now)
        if wait is not None:
            return None, wait
        key = _lookup(prefix)
        if key is None or not keys.digest_matches(secret_sha256, key.secret_sha256):
            return None, None
        counters = [("key", prefix, per_key)]
    elif not keys.digest_matches(secret_sha256, key.secret_sha256):
        return None, ratelimit.take([address], now=now)
    else:  # both at once: the address first, the key only if the address is admitted
        counters = [address, ("key", prefix, per_key)]
    wait = ratelimit.take(counters, now=now, penalty=("unknown", key.organisation.public_id))
    if wait is not None:
        return None, wait
    usable = _in_use(key)  # its secret was compared above
    if usable is None and kept is not None:  # a kept row says no; the database may not (approved since)
        fresh = confirm(key)
        usable = _in_use(fresh) if fresh is not None else None
    return usable, None


_APPROVED = RecipientOrganisation.Status.APPROVED.value


def _guard_sql() -> str:
    key, organisation = ApiKey._meta, RecipientOrganisation._meta

    def column(meta: Any, name: str) -> str:
        return str(meta.get_field(name).column)

    return (
        f"EXISTS (SELECT 1 FROM {key.db_table} AS guard_key"  # noqa: S608 (names from the models)
        f" JOIN {organisation.db_table} AS guard_org"
        f" ON guard_org.{column(organisation, 'id')} = guard_key.{column(key, 'organisation')}"
        f" WHERE guard_key.{column(key, 'id')} = %(guard__key)s AND guard_key.{column(key, 'revoked_at')} IS NULL"
        f" AND (guard_key.{column(key, 'expires_at')} IS NULL OR guard_key.{column(key, 'expires_at')} > %(guard__now)s)"
        f" AND guard_org.{column(organisation, 'status')} = %(guard__approved)s"
        f" AND guard_org.{column(organisation, 'name')} = %(guard__organisation)s)"
    )


@dataclass(frozen=True)
class KeyGuard:
    """The condition, checked by the database in the answer's own statement, that ``key`` is still
    usable and its organisation still named as the audit event will say (see :class:`audit.Reading`)."""

    key: ApiKey

    @property
    def sql(self) -> str:
        return _GUARD_SQL

    def params(self, *, at: datetime | None = None, ops: Any = None) -> dict[str, Any]:
        """The guard's parameters, the key usable at ``at`` (default: now)."""
        ops = ops or connections[DEFAULT_DB_ALIAS].ops
        return {
            "guard__key": self.key.pk,
            "guard__now": ops.adapt_datetimefield_value(at or timezone.now()),
            "guard__approved": _APPROVED,
            "guard__organisation": self.key.organisation.name,
        }

    def confirm(self) -> ApiKey | None:
        return confirm(self.key)


_GUARD_SQL = _guard_sql()


def _touch(key: ApiKey, now: datetime) -> None:
    resolution = timedelta(seconds=settings.VALIDITY_LAST_USED_RESOLUTION)
    if key.last_used_at is None or now - key.last_used_at >= resolution:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        fresh = copy.copy(key)  # not the kept instance another thread may be reading
        fresh.last_used_at = now
        kept = _kept.get(key.prefix)
        if kept is not None and kept[0] is key:
            _kept[key.prefix] = (fresh, kept[1])
