"""Subscriber staff accept the terms of use in force before they use the member area again."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from mynatrust.access import SUBSCRIBER
from mynatrust.repository.terms import ACCEPTING_KINDS, current_terms

SESSION_KEY = "repository_terms_accepted"


class TermsAcceptanceMiddleware:
    """Sends a signed-in subscriber-side user to /repository/terms/accept/ when a view meant for
    them (audience ``subscriber``) is opened and the terms in force have changed since they last
    accepted. Public pages, sign-in and sign-out stay reachable. The accepted version is remembered
    in the session, so the usual cost is one indexed query per member-area request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        if getattr(view_func, "audience", None) != SUBSCRIBER or getattr(view_func, "terms_exempt", False):
            return None
        user: Any = getattr(request, "user", None)
        if user is None or not user.is_authenticated or user.kind not in ACCEPTING_KINDS:
            return None
        terms = current_terms()
        if terms is None or request.session.get(SESSION_KEY) == terms.pk:
            return None
        if terms.acceptances.filter(user=user).exists():
            request.session[SESSION_KEY] = terms.pk
            return None
        query = urlencode({"next": request.get_full_path()}) if request.method == "GET" else ""
        return HttpResponseRedirect(reverse("repository:terms_accept") + (f"?{query}" if query else ""))


def terms_exempt[F: Callable[..., Any]](view: F) -> F:
    """Mark a subscriber view that must stay reachable before the terms are accepted."""
    view.terms_exempt = True  # type: ignore[attr-defined]
    return view
