from django.urls import path

from mynatrust.accounts import Audience
from validity import views

app_name = "validity"

accounts = Audience("recipient", "validity", home="validity:home")

urlpatterns = [
    path("", views.home, name="home"),
    *accounts.urls(),
]
