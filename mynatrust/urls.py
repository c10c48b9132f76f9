from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language

from audit import public as audit_public
from mynatrust import views
from mynatrust.access import public
from validity import api as validity_api
from validity import views as validity_views

urlpatterns = [
    # First: the validity API is the busiest path, and Django tries the patterns in order.
    path("api/v1/", include("validity.api_urls")),
    path("api/", validity_views.api_documentation, name="api_docs"),
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("i18n/setlang/", public(set_language), name="set_language"),
    path("app/", include("registry.urls")),
    path("app/delegations/", include("delegations.urls")),
    path("recipient/", include("validity.urls")),
    path("repository/", include("mynatrust.repository.urls")),
    path("", include("mynatrust.operations.urls")),
    path(".well-known/jwks.json", validity_api.jwks, name="jwks"),
    path(".well-known/audit-checkpoint-key.pem", public(audit_public.checkpoint_key), name="audit_checkpoint_key"),
    path(".well-known/audit-checkpoint", public(audit_public.checkpoint), name="audit_checkpoint"),
    path(settings.ADMIN_PATH, admin.site.urls),
]

handler400 = "mynatrust.views.bad_request"
handler403 = "mynatrust.views.permission_denied"
handler404 = "mynatrust.views.page_not_found"
handler500 = "mynatrust.views.server_error"
