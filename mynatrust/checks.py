"""System checks for misconfiguration (IDs mynatrust.E0xx / W0xx)."""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Tags, register

from mynatrust.db import is_postgresql


@register(Tags.security, deploy=True)
def production_safeguards(app_configs: Any, **kwargs: Any) -> list[Error]:
    errors: list[Error] = []
    if settings.DEMO_MODE and settings.PRODUCTION:
        errors.append(Error("DEMO_MODE is on in production.", id="mynatrust.E001"))
    if settings.PRODUCTION and not is_postgresql(settings.DATABASES["default"]):
        errors.append(Error("Production must run on PostgreSQL (DATABASE_URL=postgres://…).", id="mynatrust.E002"))
    return errors


# Backends whose counters live in one process or on one host: rate limits and lockout counters
# would be split between workers (each would allow the whole limit).
UNSHARED_CACHES = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
    "django.core.cache.backends.filebased.FileBasedCache",
)


def _unsafe_public_url(url: str) -> bool:
    """True for a URL that cannot be the service's public address: not https, or a loopback,
    unspecified or link-local host (the development default http://127.0.0.1:8000)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme != "https" or not host or host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified or address.is_link_local


@register(Tags.security, deploy=True)
def production_addresses_and_shared_state(app_configs: Any, **kwargs: Any) -> list[Error]:
    """Settings a production deployment must not leave at their development values."""
    if not settings.PRODUCTION:
        return []
    errors: list[Error] = []
    for name in ("SERVICE_BASE_URL", "SERVICE_POLICY_URL"):
        if _unsafe_public_url(getattr(settings, name)):
            errors.append(
                Error(
                    f"{name} must be the service's public https address; it is stamped into signed "
                    f"delegations, signed answers and mails (now {getattr(settings, name)!r}).",
                    id="mynatrust.E010",
                )
            )
    if "*" in settings.ALLOWED_HOSTS:
        errors.append(Error("ALLOWED_HOSTS must name the service's hosts, not '*'.", id="mynatrust.E011"))
    host = urlsplit(settings.SERVICE_BASE_URL).hostname or ""
    if host and not _allowed(host):
        errors.append(Error(f"The host of SERVICE_BASE_URL ({host}) is not in ALLOWED_HOSTS.", id="mynatrust.E012"))
    for alias in {"default", settings.RATE_LIMIT_CACHE}:
        backend = settings.CACHES.get(alias, {}).get("BACKEND", "")
        if backend in UNSHARED_CACHES:
            errors.append(
                Error(
                    f"The cache {alias!r} ({backend.rsplit('.', 1)[-1]}) is not shared between workers: rate limits "
                    "and lockout counters would be split. Use Redis (CACHE_URL=rediscache://…).",
                    id="mynatrust.E013",
                )
            )
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies < 0 or proxies > 5:
        errors.append(Error("TRUSTED_PROXY_COUNT must be between 0 and 5.", id="mynatrust.E014"))
    elif proxies == 0 and getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        # HTTPS is terminated by a proxy (its X-Forwarded-Proto is trusted), yet no proxy is counted:
        # every client would have the proxy's address, one lockout and one rate limit for all.
        errors.append(
            Error(
                "TRUSTED_PROXY_COUNT is 0 while a TLS proxy is trusted (SECURE_PROXY_SSL_HEADER): set it to "
                "the number of proxies that append to X-Forwarded-For.",
                id="mynatrust.E015",
            )
        )
    return errors


def _allowed(host: str) -> bool:
    from django.http.request import validate_host

    return validate_host(host, settings.ALLOWED_HOSTS)


@register()
def mail_rates(app_configs: Any, **kwargs: Any) -> list[Error]:
    """The mail limits (mynatrust/mail_limits.py) must read as rates, or no such mail could be sent."""
    from mynatrust.ratelimit import Rate

    errors = []
    for name in ("MAIL_RATE_PER_ADDRESS", "MAIL_RATE_PER_ACCOUNT", "MAIL_RATE_PER_CLIENT"):
        try:
            Rate.parse(getattr(settings, name))
        except ValueError:
            errors.append(Error(f"{name} must be '<count>/<seconds>'.", id="mynatrust.E016"))
    return errors
