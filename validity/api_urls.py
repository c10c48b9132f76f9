"""``/api/v1/``: the validity API for recipients' programs and its OpenAPI document."""

from django.urls import path

from validity import api

app_name = "validity_api"

urlpatterns = [
    path("delegations/<str:delegation_id>/validity", api.delegation_validity, name="validity"),
    path("openapi.json", api.openapi, name="openapi"),
]
