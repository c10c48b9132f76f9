"""The client's address as the trusted reverse proxy saw it.

With N trusted proxies appending to X-Forwarded-For, the client is the N-th address from the right;
anything further left was written by the client and is not trusted.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import Any

from django.conf import settings


def client_ip(request: Any) -> str:
    meta = request.META
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if proxies > 0:
        address = _from_forwarded(meta.get("HTTP_X_FORWARDED_FOR", ""), proxies)
        if address is not None:
            return address
    return str(meta.get("REMOTE_ADDR") or "")


@lru_cache(maxsize=4096)
def _from_forwarded(header: str, proxies: int) -> str | None:
    """The address ``proxies`` hops from the right, in its canonical form (None when the header is
    too short or that hop is no address). Kept for the header seen: one client sends the same one on
    every request, and parsing it was a measurable part of a validity answer."""
    hops = [h.strip() for h in header.split(",") if h.strip()]
    if len(hops) < proxies:
        return None
    try:
        return str(ipaddress.ip_address(hops[-proxies]))
    except ValueError:
        return None
