from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.conf.urls.i18n import is_language_prefix_patterns_used
from django.core.exceptions import MiddlewareNotUsed
from django.core.handlers.base import BaseHandler
from django.core.handlers.exception import convert_exception_to_response
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.middleware.csp import ContentSecurityPolicyMiddleware as DjangoContentSecurityPolicyMiddleware
from django.middleware.csp import get_nonce
from django.middleware.locale import LocaleMiddleware as DjangoLocaleMiddleware
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.csp import CSP, build_policy
from django.utils.module_loading import import_string

from audit import context
from mynatrust.lib.client_ip import client_ip
from mynatrust.views import API_PREFIX, bad_request, chosen_language, method_not_allowed, request_too_large

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestContextMiddleware:
    """Gives every request an ID (or keeps the proxy's) and binds who/where for audit events."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if _REQUEST_ID.match(incoming) else os.urandom(16).hex()  # as uuid4().hex, cheaper
        token = context.bind(
            context.RequestContext(
                request_id=request_id,
                ip=client_ip(request),
                user_agent=request.META.get("HTTP_USER_AGENT", "")[:255],
                request=request,
            )
        )
        try:
            response = self.get_response(request)
        finally:
            context.reset(token)
        response["X-Request-ID"] = request_id
        return response


class RequestSizeLimitMiddleware:
    """Refuses a request body over MAX_UPLOAD_SIZE before anything reads it (413)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.MAX_UPLOAD_SIZE:
            return request_too_large(request)
        return self.get_response(request)


class NulInPathMiddleware:
    """Refuses a path or a query string holding U+0000 (``%00``) with a 400 before any view looks
    it up: no identifier, filter or search term contains one, and PostgreSQL cannot compare text
    with it (the lookup would fail with a database error, a 500: ``?status=%00`` on an admin list).
    JSON under /api/, like every answer there. Form fields refuse NUL on their own (Django's
    validator), with the form shown again."""

    API_ERROR = {
        "code": "bad_request",
        "message": {
            "ja": "リクエストのパスまたはパラメーターに使えない文字（NUL）が含まれています。",
            "en": "The request path or its parameters contain a character that cannot be used (NUL).",
        },
    }

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" not in request.path and "%00" not in request.META.get("QUERY_STRING", ""):
            return self.get_response(request)
        if request.path.startswith(API_PREFIX):
            return JsonResponse({"error": self.API_ERROR}, status=400, json_dumps_params={"ensure_ascii": False})
        return bad_request(request)


class ErrorPageMiddleware:
    """Gives the bare 405 responses of Django's method decorators the service's translated page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code == 405 and not response.content and request.method != "HEAD":
            page = method_not_allowed(request)
            if response.has_header("Allow"):
                page["Allow"] = response["Allow"]
            return page
        return response


class PrivateCacheMiddleware:
    """Every response to a signed-in visitor is ``Cache-Control: private, no-store``: pages and
    downloads (delegation PDF/XML, signed files carrying the signer's certificate details) stay out
    of shared proxy caches and off the disk of a shared computer's browser. A view that already
    forbids storing keeps its own header; public pages for anonymous visitors keep theirs."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and "no-store" not in response.get("Cache-Control", ""):
            response["Cache-Control"] = "private, no-store"
        return response


class ContentSecurityPolicyMiddleware(DjangoContentSecurityPolicyMiddleware):
    """Django's CSP middleware, except that a response that used no nonce (every API answer, a
    redirect, a file, /healthz) gets a header built once per policy instead of on each response:
    without a nonce the header depends on the policy alone. A page that used its nonce still gets
    its own header from Django. The built header is kept beside a copy of the policy it came from
    and rebuilt whenever the policy differs (a setting changed, even in place)."""

    _built: dict[int, tuple[Any, Any, str]] = {}

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if get_nonce(request):
            return super().process_response(request, response)
        sentinel = object()
        if (enforced := getattr(response, "_csp_config", sentinel)) is sentinel:
            enforced = settings.SECURE_CSP
        if (report_only := getattr(response, "_csp_ro_config", sentinel)) is sentinel:
            report_only = settings.SECURE_CSP_REPORT_ONLY
        for header, config in ((CSP.HEADER_ENFORCE, enforced), (CSP.HEADER_REPORT_ONLY, report_only)):
            if config and header not in response:
                response.headers[str(header)] = self._policy(config)
        return response

    @classmethod
    def _policy(cls, config: Any) -> str:
        kept = cls._built.get(id(config))
        if kept is not None and kept[0] is config and kept[1] == config:
            return kept[2]
        policy = build_policy(config)
        if len(cls._built) > 32:  # policies made on the fly (tests): never an unbounded cache
            cls._built.clear()
        cls._built[id(config)] = (config, {k: copy_value(v) for k, v in config.items()}, policy)
        return policy


def copy_value(value: Any) -> Any:
    return list(value) if isinstance(value, list) else set(value) if isinstance(value, set) else value


class LocaleMiddleware(DjangoLocaleMiddleware):
    """Japanese unless the visitor chose another language with the switch (its cookie); the
    browser's Accept-Language does not override the service's default."""

    def process_request(self, request: HttpRequest) -> None:
        translation.activate(chosen_language(request))
        request.LANGUAGE_CODE = translation.get_language()

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        urlconf = getattr(request, "urlconf", settings.ROOT_URLCONF)
        if is_language_prefix_patterns_used(urlconf)[0]:
            return super().process_response(request, response)
        # Without language prefixes in the URLs (this service has none), what Django's step does
        # comes down to these two headers; it would still match the path against the languages.
        patch_vary_headers(response, ("Accept-Language",))
        response.headers.setdefault("Content-Language", translation.get_language())
        return response


class _Stack(BaseHandler):
    """A middleware stack of its own around Django's own view handling (URL resolution, view
    middleware, exception conversion), built as Django builds ``MIDDLEWARE`` (synchronous)."""

    def __init__(self, paths: list[str]) -> None:
        self._view_middleware: list[Any] = []
        self._template_response_middleware: list[Any] = []
        self._exception_middleware: list[Any] = []
        handler: Any = convert_exception_to_response(self._get_response)  # type: ignore[attr-defined]
        for path in reversed(paths):
            try:
                instance = import_string(path)(handler)
            except MiddlewareNotUsed:
                continue
            if hasattr(instance, "process_view"):
                self._view_middleware.insert(0, instance.process_view)
            if hasattr(instance, "process_template_response"):
                self._template_response_middleware.append(instance.process_template_response)
            if hasattr(instance, "process_exception"):
                self._exception_middleware.append(instance.process_exception)
            handler = convert_exception_to_response(instance)
        self._middleware_chain = handler


class ApiStackMiddleware:
    """Sends programs' requests to the API (under ``/api/v1/``, with an ``Authorization`` header)
    through ``API_MIDDLEWARE``, every other request on through the rest of ``MIDDLEWARE``.

    A program is authenticated by its key on each request, never by a session or a cookie, and every
    view under ``/api/`` is CSRF-exempt (a guard test holds that): the session, authentication,
    second-factor, CSRF, messages, lockout, terms-of-use and static-file layers do nothing for it but
    cost more CPU than the answer's own statement on the service's busiest path. The security headers
    and the refusals that apply to it (host check, body size, NUL, clickjacking, CSP) stay in the
    shorter stack. A browser opening an answer's URL sends no key and gets the full stack."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.api: Callable[[HttpRequest], Any] = _Stack(settings.API_MIDDLEWARE)._middleware_chain

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "HTTP_AUTHORIZATION" in request.META and request.path_info.startswith(API_PREFIX):
            return self.api(request)
        return self.get_response(request)
