from django.urls import path

from mynatrust.accounts import Audience
from registry import views

app_name = "registry"

accounts = Audience("subscriber", "registry", home="registry:home")

urlpatterns = [
    path("", views.home, name="home"),
    path("apply/", views.apply, name="apply"),
    path("apply/done/", views.apply_done, name="apply_done"),
    path("apply/resubmit/", views.resubmit, name="resubmit"),
    path("apply/resubmit/done/", views.resubmit_done, name="resubmit_done"),
    path("receipts/<int:version>.pdf", views.receipt, name="receipt"),
    path("info/", views.info, name="info"),
    path("info/change/", views.change, name="change"),
    path("info/change/done/", views.change_done, name="change_done"),
    path("info/change/withdraw/", views.withdraw_change, name="withdraw_change"),
    path("evidence/<str:public_id>/", views.evidence, name="evidence"),
    path("contract/renew/", views.renew, name="renew"),
    path("members/", views.members, name="members"),
    path("members/invitations/<str:public_id>/revoke/", views.revoke_invitation, name="revoke_invitation"),
    path("members/role/", views.member_role, name="member_role"),
    path("members/remove/", views.member_remove, name="member_remove"),
    path("invitations/<str:token>/", views.invitation, name="invitation"),
    *accounts.urls(),
]
