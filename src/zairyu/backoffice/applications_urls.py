"""Back-office pages for service A applications (mounted at /backoffice/applications/)."""

from django.urls import path  # noqa: F401

app_name = "bo_applications"
urlpatterns: list = []
