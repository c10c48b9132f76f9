"""The recipient portal under /recipient/: registration, API keys and the validity form."""

from __future__ import annotations

import base64
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

import audit
from mynatrust.access import public, recipient_required, refuse_object, signed_in
from mynatrust.forms import STEPS, confirmation_rows, is_confirmed
from mynatrust.lib import delegation_id as delegation_ids
from mynatrust.lib.delegation_id import in_file_name
from registry import member_pages
from validity import answer, api_docs, ratelimit, result_pdf, services, signing
from validity.answer import Status, ValidityError
from validity.forms import AnonymousCheckForm, ApiKeyForm, CheckForm, RegistrationForm, Sha256UploadHandler
from validity.models import ApiKey, CheckResult, RecipientOrganisation
from validity.presentation import STATUS_DISPLAY


def _organisation_for(request: HttpRequest) -> RecipientOrganisation | None:
    membership = getattr(request.user, "recipient_membership", None)
    return membership.organisation if membership is not None else None


def _approved_organisation_for(request: HttpRequest) -> RecipientOrganisation:
    organisation = _organisation_for(request)
    if organisation is None or not organisation.is_approved:
        raise Http404
    return organisation


def _get_key_for_member(request: HttpRequest, prefix: str) -> ApiKey:
    key = ApiKey.objects.filter(organisation=_approved_organisation_for(request), prefix=prefix).first()
    if key is None:
        refuse_object(request, ApiKey.objects.filter(prefix=prefix))
    return key


@recipient_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    review_days = settings.STAFF_QUEUE_OVERDUE_DAYS.get("recipient_review", 3)
    return render(
        request, "validity/home.html", {"organisation": _organisation_for(request), "review_days": review_days}
    )


@recipient_required
@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    """入力 → 確認 → 完了: the form, then what will be sent (nothing stored yet), then the receipt."""
    if _organisation_for(request) is not None:
        return redirect("validity:home")
    form = RegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and "edit" not in request.POST:
        if not is_confirmed(request):
            context = {"form": form, "rows": confirmation_rows(form), "steps": STEPS, "current": 2}
            return render(request, "validity/register_confirm.html", context)
        try:
            services.register_recipient(request.user, form.details(), actor=request.user)
        except ValidityError as exc:
            form.add_error(None, exc.message)
        else:
            return redirect("validity:register_done")
    return render(request, "validity/register.html", {"form": form, "steps": STEPS, "current": 1})


@recipient_required
@require_GET
def register_done(request: HttpRequest) -> HttpResponse:
    organisation = _organisation_for(request)
    if organisation is None:
        return redirect("validity:register")
    review_days = settings.STAFF_QUEUE_OVERDUE_DAYS.get("recipient_review", 3)
    context = {"organisation": organisation, "steps": STEPS, "current": 3, "review_days": review_days}
    return render(request, "validity/register_done.html", context)


@recipient_required
@never_cache
@require_http_methods(["GET", "POST"])
def api_keys(request: HttpRequest) -> HttpResponse:
    organisation = _approved_organisation_for(request)
    form = ApiKeyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            key, plaintext = services.create_api_key(
                organisation, label=form.cleaned_data["label"], expires_at=form.expires_at(), actor=signed_in(request)
            )
        except ValidityError as exc:
            form.add_error(None, exc.message)
        else:
            # Shown on this response only (no-store); the service keeps just its hash.
            return render(request, "validity/key_created.html", {"key": key, "plaintext": plaintext})
    keys = ApiKey.objects.filter(organisation=organisation).select_related("organisation")
    membership: Any = getattr(request.user, "recipient_membership", None)
    context = {
        "form": form,
        "keys": keys,
        "organisation": organisation,
        "is_administrator": bool(membership and membership.is_administrator),
    }
    return render(request, "validity/api_keys.html", context)


@recipient_required
@never_cache
@require_http_methods(["GET", "POST"])
def revoke_api_key(request: HttpRequest, prefix: str) -> HttpResponse:
    """A confirmation page naming the key and what stops working; revoked only from its form."""
    key = _get_key_for_member(request, prefix)
    if key.revoked_at is not None:
        messages.info(request, gettext("API キー「%(label)s」は既に失効しています。") % {"label": key.label})
        return redirect("validity:api_keys")
    if request.method == "POST" and request.POST.get("confirmed") == "yes":
        try:
            services.revoke_api_key(key, actor=signed_in(request))
        except ValidityError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, gettext("API キー「%(label)s」を失効させました。") % {"label": key.label})
        return redirect("validity:api_keys")
    return render(request, "validity/api_key_revoke.html", {"key": key})


def _record(document: dict[str, Any]) -> tuple[str, str] | tuple[None, None]:
    """The signed record of an answer (compact JWS) and a data: URL to download it."""
    try:
        token = signing.sign(answer.encode(document))
    except signing.SigningKeyError:
        return None, None
    return token, "data:application/jose;base64," + base64.b64encode(token.encode()).decode()


def _instants(document: dict[str, Any]) -> dict[str, Any]:
    """The answer's times and dates as values the templates format for people (Japan time)."""
    when: dict[str, Any] = {
        name: datetime.fromisoformat(document[name])
        for name in ("checked_at", "revoked_at", "superseded_at")
        if name in document
    }
    if "period" in document:
        when["valid_from"] = date.fromisoformat(document["period"]["valid_from"])
        when["valid_until"] = date.fromisoformat(document["period"]["valid_until"])
    return when


def _too_many(request: HttpRequest, template: str, form: Any, wait: int) -> HttpResponse:
    form.add_error(
        None, gettext("照会の回数が上限を超えました。%(seconds)d 秒後にもう一度お試しください。") % {"seconds": wait}
    )
    response = render(request, template, {"form": form}, status=429)
    response["Retry-After"] = str(wait)
    return response


@csrf_exempt  # the upload handler must be set before the CSRF check reads the body; checked below
@recipient_required
@never_cache
@require_http_methods(["GET", "POST"])
def check(request: HttpRequest) -> HttpResponse:
    organisation = _organisation_for(request)
    if organisation is None or not organisation.is_approved:
        return render(request, "validity/check.html", {"form": None, "organisation": organisation})
    if request.method == "POST":
        request.upload_handlers = [Sha256UploadHandler(request)]
    return _check(request, organisation)


@csrf_protect
def _check(request: HttpRequest, organisation: RecipientOrganisation) -> HttpResponse:
    form = CheckForm(request.POST or None, request.FILES or None, initial={"delegation_id": request.GET.get("id", "")})
    if request.method != "POST" or not form.is_valid():
        return render(request, "validity/check.html", {"form": form, "organisation": organisation})
    wait = ratelimit.hit(
        "form",
        str(request.user.pk),
        ratelimit.Rate.parse(settings.VALIDITY_RATE_FORM),
        penalty=("unknown", organisation.public_id),
    )
    if wait:
        return _too_many(request, "validity/check.html", form, wait)
    upload = form.cleaned_data["file"]
    query = services.answer_query(
        form.cleaned_data["delegation_id"],
        sha256=upload.sha256 if upload else None,
        organisation=organisation,
        actor=request.user,
        channel="form",
    )
    token, _download = _record(query.document)
    kept = services.keep_check_result(
        query,
        organisation=organisation,
        actor=signed_in(request),
        signed_record=token or "",
        file_name=upload.name if upload else "",
        file_size=upload.size if upload else None,
        file_sha256=upload.sha256 if upload else "",
    )
    # Post/Redirect/Get: the result has its own address; a reload asks nothing again.
    return _see_other("validity:check_result", public_id=kept.public_id)


def _see_other(to: str, **kwargs: Any) -> HttpResponse:
    response = HttpResponseRedirect(reverse(to, kwargs=kwargs))
    response.status_code = 303
    return response


def _get_check_result_for_member(request: HttpRequest, public_id: str) -> CheckResult:
    organisation = _approved_organisation_for(request)
    result = CheckResult.objects.filter(organisation=organisation, public_id=public_id).first()
    if result is None:
        refuse_object(request, CheckResult.objects.filter(public_id=public_id))
    return result


@recipient_required
@never_cache
@require_GET
def check_result(request: HttpRequest, public_id: str) -> HttpResponse:
    kept = _get_check_result_for_member(request, public_id)
    document = kept.answer
    upload = {"name": kept.file_name, "size": kept.file_size, "sha256": kept.file_sha256} if kept.file_sha256 else None
    jws = kept.signed_record or None
    context = {
        "kept": kept,
        "answer": document,
        "when": _instants(document),
        "display": STATUS_DISPLAY[Status(kept.status)],
        "upload": upload,
        "jws": jws,
        "jws_download": "data:application/jose;base64," + base64.b64encode(jws.encode()).decode() if jws else None,
        "download_name": f"validity-{in_file_name(kept.delegation_id)}.jws",
    }
    return render(request, "validity/result.html", context)


@recipient_required
@never_cache
@require_GET
def check_result_pdf(request: HttpRequest, public_id: str) -> HttpResponse:
    """The kept result as a printable PDF, with the signed record attached."""
    kept = _get_check_result_for_member(request, public_id)
    services.record_result_printed(kept, actor=signed_in(request))
    response = HttpResponse(result_pdf.render(kept), content_type="application/pdf")
    name = f"validity-{in_file_name(kept.delegation_id)}-{kept.checked_at:%Y%m%d%H%M%S}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


HISTORY_PAGE_SIZE = 50


@recipient_required
@never_cache
@require_GET
def history(request: HttpRequest) -> HttpResponse:
    organisation = _approved_organisation_for(request)
    rows = CheckResult.objects.filter(organisation=organisation).select_related("checked_by")
    page = Paginator(rows, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    for row in page:
        row.display = STATUS_DISPLAY[Status(row.status)]  # type: ignore[attr-defined]
    return render(request, "validity/history.html", {"page": page, "organisation": organisation})


def validity_url_page(request: HttpRequest, delegation_id: str) -> HttpResponse:
    """What a browser gets at the validity URL printed on a delegation (the API answers programs):
    how to check this ID, as a registered recipient or through the public check where it is on."""
    try:
        canonical, problem = delegation_ids.parse(delegation_id), ""
    except delegation_ids.DelegationIdError as exc:
        canonical, problem = "", str(exc.message)
    context = {
        "delegation_id": canonical,
        "typed": delegation_id,
        "problem": problem,
        "public_check": settings.VALIDITY_ANONYMOUS_QUERIES,
        "form": AnonymousCheckForm(initial={"delegation_id": canonical}),
    }
    response = render(request, "validity/validity_url.html", context, status=400 if problem else 200)
    add_never_cache_headers(response)
    patch_vary_headers(response, ["Accept", "Authorization"])
    return response


@public
@never_cache
@require_http_methods(["GET", "POST"])
def anonymous_check(request: HttpRequest) -> HttpResponse:
    """Unregistered users, when the setting allows: the status word only, under a stricter limit."""
    if not settings.VALIDITY_ANONYMOUS_QUERIES:
        raise Http404
    form = AnonymousCheckForm(request.POST or None, initial={"delegation_id": request.GET.get("id", "")})
    if request.method != "POST" or not form.is_valid():
        return render(request, "validity/anonymous_check.html", {"form": form})
    ip = audit.context.current().ip
    wait = ratelimit.hit(
        "anonymous", ip, ratelimit.Rate.parse(settings.VALIDITY_RATE_ANONYMOUS), penalty=("unknown", f"ip:{ip}")
    )
    if wait:
        return _too_many(request, "validity/anonymous_check.html", form, wait)
    query = services.answer_query(
        form.cleaned_data["delegation_id"], sha256=None, organisation=None, actor=audit.ANONYMOUS, channel="anonymous"
    )
    display = STATUS_DISPLAY[query.status]
    context = {"delegation_id": query.delegation_id, "display": display, "when": _instants(query.document)}
    return render(request, "validity/anonymous_result.html", context)


# --- members (registry.member_pages, the same pages as the subscribers') ---------------------------


def _recipient_pages() -> member_pages.Pages:
    return member_pages.Pages(
        team=services._recipients,
        namespace="validity",
        organisation=_member_organisation,
        home="validity:home",
        describe=gettext(
            "管理者は担当者の招待・削除と API キーの作成・失効ができます。"
            "担当者は電子委任状の有効性確認と確認の履歴の閲覧ができます。"
        ),
    )


def _member_organisation(request: HttpRequest) -> RecipientOrganisation:
    organisation = _organisation_for(request)
    if organisation is None:
        raise Http404
    return organisation


@recipient_required
@require_http_methods(["GET", "POST"])
def members(request: HttpRequest) -> HttpResponse:
    return member_pages.members_page(_recipient_pages(), request)


@recipient_required
@require_POST
def member_role(request: HttpRequest) -> HttpResponse:
    return member_pages.member_role(_recipient_pages(), request)


@recipient_required
@require_http_methods(["GET", "POST"])
def member_remove(request: HttpRequest) -> HttpResponse:
    return member_pages.member_remove(_recipient_pages(), request)


@recipient_required
@require_POST
def revoke_invitation(request: HttpRequest, public_id: str) -> HttpResponse:
    return member_pages.revoke_invitation(_recipient_pages(), request, public_id)


@recipient_required
@require_http_methods(["GET", "POST"])
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    return member_pages.invitation(_recipient_pages(), request, token)


@public
@require_GET
def api_documentation(request: HttpRequest) -> HttpResponse:
    """The API described in Japanese, made from the OpenAPI document the API serves."""
    base = request.build_absolute_uri("/api/v1").rstrip("/")
    api = api_docs.page(api_docs.openapi_document(), base)
    context = {
        "api": api,
        "schema_names": [schema["name"] for schema in api["schemas"]],
        "openapi_url": request.build_absolute_uri(reverse("validity_api:openapi")),
        "jwks_url": request.build_absolute_uri(reverse("jwks")),
    }
    return render(request, "validity/api_docs.html", context)
