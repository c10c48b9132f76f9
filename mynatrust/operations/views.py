from __future__ import annotations

import hmac
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from mynatrust.access import audience
from mynatrust.operations import metrics as metrics_module
from mynatrust.roles import Role

MAINTENANCE = Role.MAINTENANCE.value


def _bearer_ok(request: HttpRequest) -> bool | None:
    """True/False when a bearer token is presented, None when none is."""
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    expected = settings.METRICS_TOKEN
    return bool(expected) and hmac.compare_digest(header[7:].strip().encode(), expected.encode())


def maintenance_or_token[F: Callable[..., HttpResponse]](view: F) -> F:
    """The maintenance role (signed in to the admin with both factors) or the metrics bearer token."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        token = _bearer_ok(request)
        if token is False:
            response = HttpResponse("invalid token\n", status=401, content_type="text/plain")
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return response
        if token is None:
            user: Any = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path(), reverse("admin:login"))
            if not (admin.site.has_permission(request) and user.has_role(Role.MAINTENANCE)):
                raise PermissionDenied
        return view(request, *args, **kwargs)

    return audience(MAINTENANCE)(wrapped)  # type: ignore[return-value]


@maintenance_or_token
@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    return HttpResponse(metrics_module.exposition(), content_type=metrics_module.CONTENT_TYPE)
