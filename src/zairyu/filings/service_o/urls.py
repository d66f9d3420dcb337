"""Service O URLs (mounted at /service-o/): SSW / RSO notifications and JLI reports."""

from django.urls import path  # noqa: F401

app_name = "service_o"
urlpatterns: list = []
