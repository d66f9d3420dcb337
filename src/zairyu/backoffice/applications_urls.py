"""Back-office pages for service A applications (mounted at /backoffice/applications/): ids
only in URLs; search criteria in the POST body and the session."""

from django.urls import path

from . import applications_views as views
from . import dashboard

app_name = "bo_applications"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("search/", views.search, name="search"),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("<int:application_id>/", views.detail, name="detail"),
    path("<int:application_id>/act/<slug:action>/", views.act, name="act"),
    path("<int:application_id>/documents/<int:document_id>/", views.document, name="document"),
    path("<int:application_id>/photo/", views.photo, name="photo"),
    path("<int:application_id>/coe.pdf", views.coe_pdf, name="coe_pdf"),
    path("<int:application_id>/fee-slip.pdf", views.fee_slip, name="fee_slip"),
]
