"""Who may open a view. Every view declares its audience; a guard test walks the URL conf and
checks each audience against every kind of visitor, so a new URL cannot go unclassified."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url

F = TypeVar("F", bound=Callable[..., HttpResponse])

PUBLIC = "public"
SUBSCRIBER = "subscriber"
RECIPIENT = "recipient"


def audience(name: str) -> Callable[[F], F]:
    def mark(view: F) -> F:
        try:
            view.audience = name  # type: ignore[attr-defined]
        except AttributeError:  # a bound method: mark a thin wrapper instead
            inner = view

            @wraps(inner)
            def view(*args: Any, **kwargs: Any) -> HttpResponse:
                return inner(*args, **kwargs)

            view.audience = name  # type: ignore[attr-defined]
        return view

    return mark


def public[F: Callable[..., HttpResponse]](view: F) -> F:
    return audience(PUBLIC)(view)


def _kind_required(kind: str, login_url: str) -> Callable[[F], F]:
    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path(), resolve_url(login_url))
            if getattr(user, "kind", None) != kind:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapped.audience = kind  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorator


subscriber_required = _kind_required(SUBSCRIBER, "registry:login")
recipient_required = _kind_required(RECIPIENT, "validity:login")
