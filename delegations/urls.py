from django.urls import path

from delegations import views

app_name = "delegations"

urlpatterns = [
    path("", views.delegation_list, name="list"),
    path("new/", views.draft_new, name="new"),
    path("export.csv", views.export, name="export"),
    path("guide/card-signing/", views.card_signing_guide, name="card_guide"),
    path("acceptance/<str:token>/", views.acceptance_link, name="acceptance_link"),
    path("acceptance/<str:token>/acceptance.pdf", views.acceptance_link_pdf, name="acceptance_link_pdf"),
    path("<str:public_id>/", views.detail, name="detail"),
    path("<str:public_id>/edit/", views.draft_edit, name="edit"),
    path("<str:public_id>/saved/", views.draft_saved, name="saved"),
    path("<str:public_id>/delete/", views.draft_delete, name="delete"),
    path("<str:public_id>/copy/", views.draft_copy, name="copy"),
    path("<str:public_id>/finalise/", views.finalise, name="finalise"),
    path("<str:public_id>/download/<str:what>", views.download, name="download"),
    path("<str:public_id>/upload/<str:role>/", views.upload, name="upload"),
    path("<str:public_id>/signed/<str:role>", views.signed_file, name="signed_file"),
    path("<str:public_id>/notices/<str:what>.pdf", views.notice, name="notice"),
    path("<str:public_id>/report/<str:role>/", views.report, name="report"),
    path("<str:public_id>/update/", views.start_update, name="update"),
    path("<str:public_id>/send-acceptance/", views.send_acceptance, name="send_acceptance"),
    path("<str:public_id>/revoke/", views.revoke, name="revoke"),
    path("<str:public_id>/confirm/", views.confirm, name="confirm"),
    path("<str:public_id>/test-card/<str:role>/", views.test_card_sign, name="test_card"),
]
