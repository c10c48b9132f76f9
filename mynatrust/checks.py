"""System checks for misconfiguration (IDs mynatrust.E0xx / W0xx), said in the language active when they
run (Japanese for the operator, like every command)."""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.utils.translation import gettext

from mynatrust.db import is_postgresql


@register(Tags.security, deploy=True)
def production_safeguards(app_configs: Any, **kwargs: Any) -> list[Error]:
    errors: list[Error] = []
    if settings.DEMO_MODE and settings.PRODUCTION:
        errors.append(
            Error(
                gettext("本番環境で DEMO_MODE が有効です。"),
                hint=gettext("DEMO_MODE=false にしてください（デモの機能は本番環境では使えてはなりません）。"),
                id="mynatrust.E001",
            )
        )
    if settings.PRODUCTION and not is_postgresql(settings.DATABASES["default"]):
        errors.append(
            Error(
                gettext("本番環境のデータベースが PostgreSQL ではありません。"),
                hint=gettext("DATABASE_URL に PostgreSQL の URL（postgres://…）を指定してください。"),
                id="mynatrust.E002",
            )
        )
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
    return [*_public_addresses(), *_shared_caches(), *_proxies()]


def _public_addresses() -> list[Error]:
    """The service's public addresses: https, not local, and its host among ALLOWED_HOSTS."""
    errors: list[Error] = []
    for name in ("SERVICE_BASE_URL", "SERVICE_POLICY_URL"):
        if _unsafe_public_url(getattr(settings, name)):
            errors.append(
                Error(
                    gettext(
                        "%(name)s がサービスの公開 https アドレスではありません（現在は %(value)s）。"
                        "署名した委任状、署名した回答、メールに書き込まれるアドレスです。"
                    )
                    % {"name": name, "value": repr(getattr(settings, name))},
                    hint=gettext(
                        "%(name)s に、サービスを公開している https の URL を指定してください"
                        "（localhost や 127.0.0.1 は使えません）。"
                    )
                    % {"name": name},
                    id="mynatrust.E010",
                )
            )
    if "*" in settings.ALLOWED_HOSTS:
        errors.append(
            Error(
                gettext("ALLOWED_HOSTS には '*' ではなく、サービスのホスト名を指定してください。"),
                id="mynatrust.E011",
            )
        )
    host = urlsplit(settings.SERVICE_BASE_URL).hostname or ""
    if host and not _allowed(host):
        errors.append(
            Error(
                gettext("SERVICE_BASE_URL のホスト（%(host)s）が ALLOWED_HOSTS にありません。") % {"host": host},
                hint=gettext("ALLOWED_HOSTS に %(host)s を加えるか、SERVICE_BASE_URL を直してください。")
                % {"host": host},
                id="mynatrust.E012",
            )
        )
    return errors


def _shared_caches() -> list[Error]:
    """Caches every worker shares: rate limits and lockouts count once for the whole service."""
    errors: list[Error] = []
    for alias in {"default", settings.RATE_LIMIT_CACHE}:
        backend = settings.CACHES.get(alias, {}).get("BACKEND", "")
        if backend in UNSHARED_CACHES:
            errors.append(
                Error(
                    gettext(
                        "キャッシュ %(alias)s（%(backend)s）はワーカーの間で共有されません。"
                        "レート制限とロックアウトの回数がワーカーごとに分かれてしまいます。"
                    )
                    % {"alias": repr(alias), "backend": backend.rsplit(".", 1)[-1]},
                    hint=gettext("Redis を使ってください（CACHE_URL=rediscache://…）。"),
                    id="mynatrust.E013",
                )
            )
    return errors


def _proxies() -> list[Error]:
    """The count of trusted proxies, which decides each client's address."""
    errors: list[Error] = []
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies < 0 or proxies > 5:
        errors.append(
            Error(
                gettext("TRUSTED_PROXY_COUNT は 0 から 5 までにしてください（現在は %(count)s）。")
                % {"count": proxies},
                id="mynatrust.E014",
            )
        )
    elif proxies == 0 and getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        # HTTPS is terminated by a proxy (its X-Forwarded-Proto is trusted), yet no proxy is counted:
        # every client would have the proxy's address, one lockout and one rate limit for all.
        errors.append(
            Error(
                gettext(
                    "TLS を終端するプロキシを信頼している（SECURE_PROXY_SSL_HEADER）のに、TRUSTED_PROXY_COUNT が 0 です。"
                    "利用者がみなプロキシのアドレスになり、ロックアウトとレート制限を全員で分け合ってしまいます。"
                ),
                hint=gettext("TRUSTED_PROXY_COUNT に、X-Forwarded-For に追記するプロキシの数を設定してください。"),
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
    from mynatrust.ratelimit import Rate, malformed_setting

    errors = []
    for name in ("MAIL_RATE_PER_ADDRESS", "MAIL_RATE_PER_ACCOUNT", "MAIL_RATE_PER_CLIENT"):
        try:
            Rate.parse(getattr(settings, name))
        except ValueError:
            errors.append(Error(malformed_setting(name), id="mynatrust.E016"))
    return errors


@register()
def mail_at_once_timeout(app_configs: Any, **kwargs: Any) -> list[Error]:
    """The wait of a notice's try inside the request (mynatrust/outbox/services.py): a timeout of 0
    or less would make every such try fail, or wait forever."""
    if settings.MAIL_AT_ONCE_TIMEOUT > 0:
        return []
    return [
        Error(
            gettext("%(name)s は 0 より大きい秒数にしてください（例：3）。") % {"name": "MAIL_AT_ONCE_TIMEOUT"},
            id="mynatrust.E017",
        )
    ]


@register()
def mail_unreachable_pause(app_configs: Any, **kwargs: Any) -> list[Error]:
    """How long every host leaves the notices to the worker once a try inside a request found the
    mail server unreachable (mynatrust/outbox/services.py): whole seconds, since the shared cache
    keeps the mark that long; 0 or less would never pause."""
    pause = settings.MAIL_UNREACHABLE_PAUSE
    if isinstance(pause, int) and not isinstance(pause, bool) and pause > 0:
        return []
    return [
        Error(
            gettext("%(name)s は 1 以上の整数の秒数にしてください（例：60）。") % {"name": "MAIL_UNREACHABLE_PAUSE"},
            id="mynatrust.E018",
        )
    ]
