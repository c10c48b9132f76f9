from __future__ import annotations

import sys
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from mynatrust import access
from mynatrust.access import public
from mynatrust.operations import health

# The API proper; /api/ itself is the API's documentation page, a page like any other.
API_PREFIX = "/api/v1/"


@public
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html")


@public
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    # Checks come from a registry other apps add to (mynatrust.operations.health.register).
    healthy, checks = health.run_checks()
    return JsonResponse({"status": "ok" if healthy else "error", "checks": checks}, status=200 if healthy else 503)


def chosen_language(request: HttpRequest) -> str:
    """The language the visitor chose with the switch (its cookie), else the service's Japanese; the
    browser's Accept-Language does not override the default."""
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "") if "HTTP_COOKIE" in request.META else ""
    return chosen if chosen and chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def _error(request: HttpRequest, status: int, title: str, message: str) -> HttpResponse:
    return render(request, "errors/error.html", {"status": status, "title": title, "message": message}, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(
        request,
        400,
        gettext("リクエストが正しくありません"),
        gettext("送信された内容を処理できませんでした。入力内容を確認して、もう一度お試しください。"),
    )


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    access.record_refusal(request, 403, str(exception or "") or "permission_denied")
    return _error(request, 403, gettext("アクセスできません"), gettext("このページを表示する権限がありません。"))


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    reason = access.object_refusal_reason(request)
    if reason is not None:
        access.record_refusal(request, 404, reason)
    return _error(
        request,
        404,
        gettext("ページが見つかりません"),
        gettext("お探しのページは存在しないか、移動した可能性があります。"),
    )


# What the API says when it cannot answer (the validity API's error shape: code, Japanese and English).
API_SERVER_ERROR = (
    "server_error",
    "サーバーでエラーが発生しました。時間をおいてもう一度お試しください。",
    "Something went wrong on our side. Please try again later.",
)
API_UNAVAILABLE = (
    "service_unavailable",
    "一時的に照会に応答できません。しばらくしてから、もう一度お試しください。",
    "The service cannot answer for a moment. Please try again shortly.",
)
RETRY_AFTER_SECONDS = 30


def server_error(request: HttpRequest) -> HttpResponse:
    """500, or 503 with Retry-After when the database could not be reached (a restart or fail-over:
    clients and load balancers should try again); JSON under /api/. Rendered without the request
    context and without the database: the failure may lie in either. The page is in the language of
    the visitor's cookie; the Japanese one keeps an English line for a reader who has not chosen."""
    from django.db import InterfaceError, OperationalError
    from django.template import loader

    unavailable = isinstance(sys.exception(), OperationalError | InterfaceError)
    status = 503 if unavailable else 500
    if request.path.startswith(API_PREFIX):
        code, ja, en = API_UNAVAILABLE if unavailable else API_SERVER_ERROR
        response: HttpResponse = JsonResponse(
            {"error": {"code": code, "message": {"ja": ja, "en": en}}},
            status=status,
            json_dumps_params={"ensure_ascii": False},
        )
    else:
        template = loader.get_template("errors/503.html" if unavailable else "errors/500.html")
        # The visitor's language read again: the failure may have come before the middleware set it.
        with translation.override(chosen_language(request)):
            response = HttpResponse(template.render({}), status=status)
    response["Cache-Control"] = "no-store"  # neither a proxy nor a browser may keep a failure
    if unavailable:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    access.record_refusal(request, 403, f"csrf: {reason}" if reason else "csrf")
    return _error(
        request,
        403,
        gettext("セキュリティ確認に失敗しました"),
        gettext(
            "ページの有効期限が切れたか、Cookie が無効になっています。ページを再読み込みしてから、もう一度送信してください。"
        ),
    )


def request_too_large(request: HttpRequest, *args: Any) -> HttpResponse:
    return _error(
        request, 413, gettext("送信サイズが大きすぎます"), gettext("ファイルまたは送信内容が上限を超えています。")
    )


def method_not_allowed(request: HttpRequest) -> HttpResponse:
    return _error(
        request, 405, gettext("この操作はできません"), gettext("このページではその操作を受け付けていません。")
    )
