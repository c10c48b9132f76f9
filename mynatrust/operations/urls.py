from django.urls import path

from mynatrust.operations import views

urlpatterns = [
    path("metrics", views.metrics, name="metrics"),
]
