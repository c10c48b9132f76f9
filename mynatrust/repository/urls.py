from django.urls import path

from mynatrust.repository import views

app_name = "repository"

urlpatterns = [
    path("", views.index, name="index"),
    path("notices/", views.notices, name="notices"),
    path("notices/<str:public_id>/", views.notice, name="notice"),
    path("terms/accept/", views.terms_accept, name="terms_accept"),
    path("<slug:kind>/", views.document, name="document"),
    path("<slug:kind>/<str:version>/", views.document_version, name="document_version"),
]
