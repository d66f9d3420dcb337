"""Bulk filing URLs (mounted at /bulk/)."""

from django.urls import path  # noqa: F401

app_name = "bulk"
urlpatterns: list = []
