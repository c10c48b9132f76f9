"""The service's URLs plus three baselines served by the same gunicorn (bench only)."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.urls import path

import audit
from mynatrust.urls import urlpatterns as service_urls
from validity.models import ApiKey

PREFIX = "mtv_000000000000"


def bare(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def one_select(request: HttpRequest) -> JsonResponse:
    key = ApiKey.objects.filter(prefix=PREFIX).values_list("label", flat=True).first()
    return JsonResponse({"label": key})


def select_insert(request: HttpRequest) -> JsonResponse:
    key = ApiKey.objects.filter(prefix=PREFIX).values_list("label", flat=True).first()
    audit.record("bench.baseline", actor=audit.ANONYMOUS, label=key)
    return JsonResponse({"label": key})


urlpatterns = [
    path("bench/bare", bare),
    path("bench/select", one_select),
    path("bench/select-insert", select_insert),
    *service_urls,
]
