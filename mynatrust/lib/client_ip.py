"""The client's address as the trusted reverse proxy saw it.

With N trusted proxies appending to X-Forwarded-For, the client is the N-th address from the right;
anything further left was written by the client and is not trusted.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from django.conf import settings


def client_ip(request: Any) -> str:
    meta = request.META
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if proxies > 0:
        hops = [h.strip() for h in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
        if len(hops) >= proxies:
            candidate = hops[-proxies]
            try:
                return str(ipaddress.ip_address(candidate))
            except ValueError:
                pass
    return str(meta.get("REMOTE_ADDR") or "")
