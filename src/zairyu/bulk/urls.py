"""Bulk filing URLs (mounted at /bulk/). Jobs are addressed by their database id; kinds by
their key: no personal data in URLs."""

from django.urls import path

from . import views

app_name = "bulk"
urlpatterns = [
    path("", views.index, name="index"),
    path("kinds/<slug:kind>/template.<str:fmt>", views.template_download, name="template"),
    path("kinds/<slug:kind>/upload/", views.upload, name="upload"),
    path("jobs/<int:job_id>/", views.job, name="job"),
    path("jobs/<int:job_id>/rows/<int:row_id>/delete/", views.delete_row, name="delete_row"),
    path("jobs/<int:job_id>/status.json", views.job_status, name="job_status"),
    path("jobs/<int:job_id>/errors.<str:fmt>", views.error_file, name="error_file"),
]
