"""The validity API (``/api/v1/…``), its OpenAPI document and the published keys. Views parse,
authorise, call one service and answer; the rules live in services.py and answer.py."""

from __future__ import annotations

import json
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

import audit
from mynatrust.access import audience, public
from validity import answer, api_docs, auth, keys, ratelimit, services, signing, views
from validity.answer import ValidityError
from validity.auth import admit
from validity.models import ApiKey

API = "api"
JSON = "application/json"


def _respond(body: bytes, status: int = 200, content_type: str = JSON, **headers: str) -> HttpResponse:
    response = HttpResponse(body, status=status, content_type=content_type)
    response["Cache-Control"] = "no-store"
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _error(exc: ValidityError, **headers: str) -> HttpResponse:
    return _respond(answer.encode(exc.document()), exc.status, f"{JSON}; charset=utf-8", **headers)


def _wants_jose(request: HttpRequest) -> bool | None:
    """True for a compact JWS, False for JSON, None when the client accepts neither. Without an
    Accept header the answer is JSON; between the two, the higher quality wins (JSON on a tie)."""
    header = request.META.get("HTTP_ACCEPT", "").strip()
    if not header:
        return False
    return _jose_for(header) if len(header) <= 256 else _jose_for.__wrapped__(header)


@lru_cache(maxsize=64)
def _jose_for(header: str) -> bool | None:
    """The verdict on one Accept header (a program sends the same one with every request)."""
    quality: dict[str, float] = {}
    for part in header.split(","):
        media, *params = (piece.strip().lower() for piece in part.split(";"))
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if media:
            quality[media] = max(q, quality.get(media, 0.0))
    jose = quality.get(signing.MEDIA_TYPE, 0.0)
    json_q = max(quality.get(JSON, 0.0), quality.get("application/*", 0.0), quality.get("*/*", 0.0))
    if jose <= 0 and json_q <= 0:
        return None
    return jose > json_q


PAGE_TYPES = [JSON, signing.MEDIA_TYPE, "text/html"]


def _wants_page(request: HttpRequest) -> bool:
    """A browser opening the printed URL (it prefers HTML to JSON and sends no key); programs,
    which send a key, ask for JSON or the JWS, or accept anything, get the API as before."""
    if request.META.get("HTTP_AUTHORIZATION") or not request.META.get("HTTP_ACCEPT"):
        return False
    return request.get_preferred_type(PAGE_TYPES) == "text/html"


def _too_many(wait: int) -> HttpResponse:
    return _error(answer.error(answer.RATE_LIMITED, retry_after=wait), Retry_After=str(wait))


def _authorised(request: HttpRequest) -> ApiKey | HttpResponse:
    """The caller's key, or the response that refuses the request.

    The address is counted first, then a key whose secret is right, through this process's leases
    on the shared counters (auth.admit): most requests cost no round trip for it. A refused address
    learns nothing about its key: the 429 comes before the verdict on the key.
    """
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not header:
        return _error(answer.error(answer.MISSING_KEY), WWW_Authenticate='Bearer realm="validity"')
    key, wait = admit(
        header,
        ip=audit.context.current().ip,
        per_ip=_rate(settings.VALIDITY_RATE_PER_IP),
        per_key=_rate(settings.VALIDITY_RATE_PER_KEY),
    )
    if wait is not None:
        return _too_many(wait)
    if key is None:
        return _rejected(request)
    return key


def _rejected(request: HttpRequest) -> HttpResponse:
    parts = keys.from_authorization(request.META.get("HTTP_AUTHORIZATION", ""))
    # Anyone can send keys at will: one event per client address and minute, with a count.
    audit.record_tallied("validity.api_key_rejected", actor=audit.ANONYMOUS, prefix=parts[0] if parts else "")
    return _error(answer.error(answer.INVALID_KEY), WWW_Authenticate='Bearer realm="validity", error="invalid_token"')


def _answer(request: HttpRequest, delegation_id: str, key: ApiKey) -> services.Query | HttpResponse:
    """The recorded answer for ``key``, which the answer's own statement confirms still usable: a
    key this process kept but revoked, expired or renamed since is read again (a renamed
    organisation is asked again once), else refused as if it were wrong."""
    for _attempt in range(2):
        try:
            return services.answer_query(
                delegation_id,
                sha256=request.GET.get("sha256"),
                organisation=key.organisation,
                actor=key,
                channel="api",
                guard=auth.KeyGuard(key),
                declared_only=True,
            )
        except auth.KeyNoLongerUsable as exc:
            fresh = None if exc.read_again else auth.confirm(key)
            if fresh is None:
                break
            key = fresh
        except ValidityError as exc:
            return _error(exc)
    return _rejected(request)


def _refusal(request: HttpRequest, key: ApiKey, error: ValidityError) -> HttpResponse:
    """An error about the request, given only to a key the database confirms still usable."""
    if auth.confirm(key) is None:
        return _rejected(request)
    return _error(error)


@lru_cache(maxsize=32)
def _rate(text: str) -> ratelimit.Rate:
    return ratelimit.Rate.parse(text)


@csrf_exempt  # no cookies: a bearer key authenticates every request
@audience(API)
def delegation_validity(request: HttpRequest, delegation_id: str) -> HttpResponse:
    if request.method not in ("GET", "HEAD"):
        return _error(
            ValidityError("method_not_allowed", 405, "GET で照会してください。", "Use GET."), Allow="GET, HEAD"
        )
    if request.method == "GET" and _wants_page(request):
        return views.validity_url_page(request, delegation_id)
    jose = _wants_jose(request)
    if jose is None:
        return _error(answer.error(answer.NOT_ACCEPTABLE))
    key = _authorised(request)
    if isinstance(key, HttpResponse):
        return key
    unexpected = sorted(set(request.GET) - {"sha256"})
    if unexpected:
        # Strict on purpose: a misspelt ?sha256= must not silently skip the digest comparison.
        return _refusal(request, key, answer.error(answer.UNKNOWN_PARAMETER, parameters=unexpected[:5]))
    try:
        # Before the query is recorded: an answer the service cannot sign is not given at all.
        signing_key = signing.current_key() if jose else None
    except signing.SigningKeyError:
        return _refusal(request, key, answer.error(answer.SIGNING_UNAVAILABLE))
    query = _answer(request, delegation_id, key)
    if isinstance(query, HttpResponse):
        return query
    body = answer.encode(query.document)
    if signing_key is None:
        return _respond(body, content_type=f"{JSON}; charset=utf-8")
    return _respond(signing.signed(body, signing_key), content_type=signing.MEDIA_TYPE)


@csrf_exempt  # read-only and cookie-free: any other method is a plain 405
@public
@require_safe
def jwks(request: HttpRequest) -> HttpResponse:
    response = _respond(json.dumps(signing.jwks()).encode(), content_type="application/jwk-set+json")
    response["Cache-Control"] = "public, max-age=300"
    response["Access-Control-Allow-Origin"] = "*"
    return response


@csrf_exempt  # read-only and cookie-free: any other method is a plain 405
@public
@require_safe
def openapi(request: HttpRequest) -> HttpResponse:
    document = dict(api_docs.openapi_document())
    document["servers"] = [{"url": request.build_absolute_uri("/api/v1").rstrip("/")}]
    response = _respond(json.dumps(document, ensure_ascii=False).encode(), content_type=f"{JSON}; charset=utf-8")
    response["Cache-Control"] = "public, max-age=300"
    return response
