"""Service A URLs (mounted at /applications/). Applications are addressed by their database id:
no personal data in URLs or access logs."""

from django.urls import path

from . import views

app_name = "applications"
urlpatterns = [
    path("", views.application_list, name="list"),
    path("new/", views.start, name="start"),
    path("<int:application_id>/", views.detail, name="detail"),
    path("<int:application_id>/step/<slug:step>/", views.step_page, name="step"),
    path("<int:application_id>/autosave/<slug:step>/", views.autosave, name="autosave"),
    path("<int:application_id>/documents/add/", views.document_add, name="document_add"),
    path(
        "<int:application_id>/documents/<int:document_id>/",
        views.document_download,
        name="document",
    ),
    path(
        "<int:application_id>/documents/<int:document_id>/remove/",
        views.document_remove,
        name="document_remove",
    ),
    path("<int:application_id>/photo/", views.photo_file, name="photo"),
    path("<int:application_id>/photo/upload/", views.photo_upload, name="photo_upload"),
    path("<int:application_id>/confirm/", views.confirm, name="confirm"),
    path("<int:application_id>/done/", views.done, name="done"),
    path("<int:application_id>/receipt.pdf", views.receipt_pdf, name="receipt"),
    path("<int:application_id>/amend/", views.amend, name="amend"),
    path("<int:application_id>/amend/<slug:step>/", views.amend_step, name="amend_step"),
    path("<int:application_id>/withdraw/", views.withdraw, name="withdraw"),
    path("<int:application_id>/receipt-method/", views.receipt_method, name="receipt_method"),
    path("<int:application_id>/handover/", views.handover, name="handover"),
]
