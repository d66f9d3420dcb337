"""Service N URLs (mounted at /notifications/). Filings are addressed by their database id and
the forms by a random token: no personal data in URLs or access logs."""

from django.urls import path

from . import views

app_name = "filings"
urlpatterns = [
    path("", views.index, name="index"),
    path("history/", views.history, name="history"),
    path("<int:filing_id>/", views.detail, name="detail"),
    path("<int:filing_id>/receipt.pdf", views.receipt_pdf, name="receipt"),
    path("confirm/<uuid:token>/", views.confirm, name="confirm"),
    # Residents (Art. 19-16, NF-1)
    path("new/", views.resident_events, name="resident_events"),
    path("new/<slug:event>/", views.resident_start, name="resident_start"),
    path("new/<slug:event>/<uuid:token>/", views.resident_form, name="resident_form"),
    # Organizations (Art. 19-17, NF-3; for a resident on request, NF-4)
    path("organization/", views.organization_events, name="organization_events"),
    path(
        "organization/new/<slug:event>/",
        views.organization_start,
        name="organization_start",
    ),
    path(
        "organization/new/<slug:event>/<uuid:token>/",
        views.organization_form,
        name="organization_form",
    ),
    path("organization/proxy/<slug:event>/", views.proxy_start, name="proxy_start"),
    path(
        "organization/proxy/<slug:event>/<uuid:token>/",
        views.proxy_form,
        name="proxy_form",
    ),
]
