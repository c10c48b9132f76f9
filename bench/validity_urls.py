"""The service's URLs plus five baselines served by the same gunicorn (bench only)."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

import audit
from audit import labels
from mynatrust.access import audience
from mynatrust.urls import urlpatterns as service_urls
from validity.models import ApiKey

PREFIX = "mtv_000000000000"


def bare(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def one_select(request: HttpRequest) -> JsonResponse:
    key = ApiKey.objects.filter(prefix=PREFIX).values_list("label", flat=True).first()
    return JsonResponse({"label": key})


labels.declare("bench.baseline", "ベンチマークの基準")


def select_insert(request: HttpRequest) -> JsonResponse:
    key = ApiKey.objects.filter(prefix=PREFIX).values_list("label", flat=True).first()
    audit.record("bench.baseline", actor=audit.ANONYMOUS, label=key)
    return JsonResponse({"label": key})


# The same read as one_select and an audit event's INSERT as one statement (a data-modifying CTE),
# in autocommit: one round trip and one durable commit, the least a recorded answer can cost.
CTE = """
WITH found AS (SELECT label FROM validity_apikey WHERE prefix = %s LIMIT 1),
event AS (
  INSERT INTO audit_auditevent (created_at, event_type, actor_kind, actor_id, actor_label, subject_type,
    subject_id, data, request_id, ip, user_agent)
  SELECT now(), 'bench.baseline', 'anonymous', '', '', '', '', jsonb_build_object('label', found.label),
    '', '', '' FROM (SELECT 1) AS one LEFT JOIN found ON TRUE
  RETURNING id
)
SELECT found.label, event.id FROM event LEFT JOIN found ON TRUE
"""


def one_cte(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute(CTE, [PREFIX])
        label, _event = cursor.fetchone()
    return JsonResponse({"label": label})


@csrf_exempt
@audience("api")
def api_floor(request: HttpRequest, delegation_id: str) -> HttpResponse:
    """The least any keyed API request costs: the API's middleware, the URL's resolution and a fixed
    body, with no key check, no statement and no Redis (its path has the answer's shape)."""
    response = HttpResponse(b'{"status":"valid"}', content_type="application/json; charset=utf-8")
    response["Cache-Control"] = "no-store"
    return response


urlpatterns = [
    path("api/v1/bench-floor/<str:delegation_id>/validity", api_floor),
    path("bench/cte", one_cte),
    path("bench/bare", bare),
    path("bench/select", one_select),
    path("bench/select-insert", select_insert),
    *service_urls,
]
