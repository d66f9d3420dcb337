"""Electronic COE pages (mounted at /coe/, A-14): the public verification page and the filer's
downloads (the e-COE and the fee payment slip, behind the log-in). Ids only in URLs; the
verification code travels in the POST body, never in a URL (access logs, history)."""

from django.urls import path

from . import coe_views

app_name = "coe"
urlpatterns = [
    path("verify/", coe_views.verify, name="verify"),
    path("<int:application_id>/certificate/", coe_views.certificate, name="certificate"),
    path("<int:application_id>/fee-slip/", coe_views.fee_slip, name="fee_slip"),
]
