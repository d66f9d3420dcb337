"""Service A URLs (mounted at /applications/). Applications are addressed by their database id:
no personal data in URLs or access logs."""

from django.urls import path  # noqa: F401

app_name = "applications"
urlpatterns: list = []
