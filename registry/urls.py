from django.urls import path

from mynatrust.accounts import Audience
from registry import views

app_name = "registry"

accounts = Audience("subscriber", "registry", home="registry:home")

urlpatterns = [
    path("", views.home, name="home"),
    *accounts.urls(),
]
