"""The account's API keys page (mounted at /accounts/api-keys/)."""

from django.urls import path

from . import views

app_name = "api_keys"
urlpatterns = [
    path("", views.keys, name="keys"),
    path("<int:key_id>/revoke/", views.revoke, name="revoke"),
]
