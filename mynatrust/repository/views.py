"""The public repository (/repository/): anyone may read it, no sign-in (§2.5)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from mynatrust.access import public, subscriber_required
from mynatrust.repository import services
from mynatrust.repository.middleware import terms_exempt
from mynatrust.repository.models import PUBLIC_KINDS, DocumentKind, DocumentVersion, Notice
from mynatrust.repository.terms import current_terms


def _identity() -> dict[str, str]:
    return {
        "service_name": settings.SERVICE_NAME,
        "operator_policy_oid": settings.OPERATOR_POLICY_OID,
        "service_oid": settings.SERVICE_OID,
        "service_policy_oid": settings.SERVICE_POLICY_OID,
        "service_policy_url": settings.SERVICE_POLICY_URL,
    }


def _links() -> dict[str, str]:
    return {
        "api_docs": settings.REPOSITORY_API_DOCS_PATH,
        "jwks": settings.REPOSITORY_JWKS_PATH,
        "audit_key": settings.REPOSITORY_AUDIT_KEY_PATH,
    }


def _history(kind: str) -> list[dict[str, Any]]:
    """Published versions of one document, newest first, each with the time it stopped applying."""
    versions = list(DocumentVersion.objects.published().filter(kind=kind))
    until = [None, *(v.effective_at for v in versions)]
    return [{"doc": doc, "until": end} for doc, end in zip(versions, until, strict=False)]


@public
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    context = {
        "documents": [
            (kind, DocumentVersion.objects.current(kind), DocumentVersion.objects.upcoming().filter(kind=kind).first())
            for kind in PUBLIC_KINDS
        ],
        "notices": Notice.objects.published()[:5],
        "identity": _identity(),
        "links": _links(),
    }
    return render(request, "repository/index.html", context)


def _kind(kind: str) -> DocumentKind:
    # Internal documents (the business procedures) are never served here.
    if kind not in PUBLIC_KINDS:
        raise Http404
    return DocumentKind(kind)


@public
@require_GET
def document(request: HttpRequest, kind: str) -> HttpResponse:
    """The version in force of one document, and the list of earlier versions."""
    doc_kind = _kind(kind)
    history = _history(doc_kind)
    context = {
        "kind": doc_kind,
        "entry": history[0] if history else None,
        "history": history,
        "is_current": True,
        "upcoming": DocumentVersion.objects.upcoming().filter(kind=doc_kind),
    }
    return render(request, "repository/document.html", context)


@public
@require_GET
def document_version(request: HttpRequest, kind: str, version: str) -> HttpResponse:
    doc_kind = _kind(kind)
    history = _history(doc_kind)
    for entry in history:
        if entry["doc"].version == version:
            return render(
                request,
                "repository/document.html",
                {"kind": doc_kind, "entry": entry, "history": history, "is_current": entry is history[0]},
            )
    # An approved version announced ahead of the day it takes effect.
    ahead = get_object_or_404(DocumentVersion.objects.upcoming().filter(kind=doc_kind), version=version)
    context = {"kind": doc_kind, "entry": {"doc": ahead, "until": None}, "history": history, "is_upcoming": True}
    return render(request, "repository/document.html", context)


@public
@require_GET
def notices(request: HttpRequest) -> HttpResponse:
    return render(request, "repository/notices.html", {"notices": Notice.objects.published()[:200]})


@public
@require_GET
def notice(request: HttpRequest, public_id: str) -> HttpResponse:
    item = get_object_or_404(Notice.objects.published(), public_id=public_id)
    return render(request, "repository/notice.html", {"notice": item})


class AcceptTermsForm(forms.Form):
    field_marks = True

    agree = forms.BooleanField(label=_("上記の利用約款に同意します"), required=True)


def _safe_next(request: HttpRequest) -> str:
    nxt = request.POST.get("next") or request.GET.get("next") or ""
    if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}):
        return nxt
    return ""


def _next_url(request: HttpRequest) -> str:
    return _safe_next(request) or "registry:home"


@terms_exempt
@subscriber_required
@require_http_methods(["GET", "POST"])
def terms_accept(request: HttpRequest) -> HttpResponse:
    terms = current_terms()
    if terms is None:
        return redirect(_next_url(request))
    form = AcceptTermsForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.accept_current_terms(request.user, actor=request.user)  # type: ignore[arg-type]
        except services.RepositoryError as err:
            form.add_error(None, err.message)
        else:
            messages.success(request, _("利用約款 %(version)s への同意を記録しました。") % {"version": terms.version})
            return redirect(_next_url(request))
    accepted = terms.acceptances.filter(user=request.user).exists()  # type: ignore[misc]
    context = {"terms": terms, "form": form, "accepted": accepted, "next": _safe_next(request)}
    return render(request, "repository/terms_accept.html", context)
