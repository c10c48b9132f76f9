from django.urls import path

from mynatrust.accounts import Audience
from validity import views

app_name = "validity"

accounts = Audience("recipient", "validity", home="validity:home")

urlpatterns = [
    path("", views.home, name="home"),
    path("register/", views.register, name="register"),
    path("register/done/", views.register_done, name="register_done"),
    path("keys/", views.api_keys, name="api_keys"),
    path("keys/<str:prefix>/revoke/", views.revoke_api_key, name="revoke_api_key"),
    path("check/", views.check, name="check"),
    path("checks/", views.history, name="history"),
    path("checks/<str:public_id>/", views.check_result, name="check_result"),
    path("checks/<str:public_id>/result.pdf", views.check_result_pdf, name="check_result_pdf"),
    path("public-check/", views.anonymous_check, name="anonymous_check"),
    path("members/", views.members, name="members"),
    path("members/invitations/<str:public_id>/revoke/", views.revoke_invitation, name="revoke_invitation"),
    path("members/role/", views.member_role, name="member_role"),
    path("members/remove/", views.member_remove, name="member_remove"),
    path("invitations/<str:token>/", views.invitation, name="invitation"),
    *accounts.urls(),
]
