"""Service O URLs (mounted at /service-o/): SSW / RSO notifications and JLI reports.

Filings are addressed by their database id and forms by a random token: no personal data in
URLs or access logs."""

from django.urls import path

from . import views

app_name = "service_o"
urlpatterns = [
    path("", views.index, name="index"),
    path("history/", views.history, name="history"),
    path("new/<slug:kind>/", views.start, name="start"),
    path("new/<slug:kind>/<uuid:token>/", views.form, name="form"),
    path("confirm/<uuid:token>/", views.confirm, name="confirm"),
    path("<int:filing_id>/", views.detail, name="detail"),
    path("<int:filing_id>/change/", views.edit, name="edit"),
    path("<int:filing_id>/change/<uuid:token>/", views.edit_form, name="edit_form"),
    path(
        "<int:filing_id>/change/<uuid:token>/confirm/",
        views.edit_confirm,
        name="edit_confirm",
    ),
    path("<int:filing_id>/withdraw/", views.withdraw, name="withdraw"),
]
