"""API key authentication for the validity API: at most one indexed query (the key's row by its
unique prefix, joined to its organisation), plus a last-used write at most once a minute per key."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from validity import keys
from validity.models import ApiKey


def authenticate(header: str) -> ApiKey | None:
    """The usable key named by an ``Authorization`` header value, or None (wrong, revoked, expired
    or its organisation not approved: the caller is not told which)."""
    parts = keys.from_authorization(header)
    if parts is None:
        return None
    prefix, secret = parts
    key = ApiKey.objects.select_related("organisation").filter(prefix=prefix).first()
    if key is None or not keys.secret_matches(secret, key.secret_sha256):
        return None
    now = timezone.now()
    if not key.is_usable(now):
        return None
    resolution = timedelta(seconds=settings.VALIDITY_LAST_USED_RESOLUTION)
    if key.last_used_at is None or now - key.last_used_at >= resolution:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key
