"""Back-office pages for service O (mounted at /backoffice/service-o/)."""

from django.urls import path  # noqa: F401

app_name = "bo_service_o"
urlpatterns: list = []
