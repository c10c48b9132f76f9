"""Who may open a view. Every view declares its audience; a guard test walks the URL conf and
checks each audience against every kind of visitor, so a new URL cannot go unclassified."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import resolve_url

if TYPE_CHECKING:
    from mynatrust.models import User

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


def signed_in(request: HttpRequest) -> User:
    """The signed-in person a view acts for, as services take it. Views reach here behind a login
    check; a request without a signed-in account is refused all the same."""
    from mynatrust.models import User

    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        raise PermissionDenied
    return user


subscriber_required = _kind_required(SUBSCRIBER, "registry:login")
recipient_required = _kind_required(RECIPIENT, "validity:login")


# Refused access on the record (§6.2.1). Each 403, and each 404 on the URL of an object the visitor
# may not see, is counted as one event per actor, path and minute (audit.tally): an attacker
# repeating a request cannot fill the log, and an auditor still sees how often it was tried.
DENIED = "access.denied"
NOT_FOUND = "access.not_found"
OTHER_TENANT = "other_tenant"


def refuse_object(request: HttpRequest, elsewhere: QuerySet[Any]) -> NoReturn:
    """404 for an object outside the visitor's reach (never 403: no hint that it exists). When
    ``elsewhere`` (the same lookup without the visitor's tenant) finds it, the refusal is recorded as
    an attempt on another tenant's object; the page the visitor gets is the same either way."""
    if elsewhere.exists():
        request.refusal_reason = OTHER_TENANT  # type: ignore[attr-defined]
    raise Http404


def record_refusal(request: HttpRequest, status: int, reason: str) -> None:
    import audit

    event_type = DENIED if status == 403 else NOT_FOUND
    audit.record_tallied(
        event_type,
        actor=getattr(request, "user", None),
        key=f"{request.method} {request.path}",
        path=request.path[:500],
        method=request.method or "",
        status=status,
        reason=reason[:200],
    )


def object_refusal_reason(request: HttpRequest) -> str | None:
    """Why a 404 is a refusal worth recording, or None: only for a signed-in visitor on the URL of
    an object (a URL with parameters) of a page that is not public."""
    match = getattr(request, "resolver_match", None)
    user = getattr(request, "user", None)
    if match is None or not match.kwargs or user is None or not user.is_authenticated:
        return None
    if getattr(match.func, "audience", None) == PUBLIC:
        return None
    return str(getattr(request, "refusal_reason", "not_found"))
