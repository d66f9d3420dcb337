"""Back-office pages for service O (mounted at /backoffice/service-o/; BO-4). Ids only in URLs."""

from django.urls import path

from . import service_o_views as views

app_name = "bo_service_o"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("search/", views.search, name="search"),
    path("<int:filing_id>/", views.detail, name="detail"),
    path("<int:filing_id>/complete/", views.complete, name="complete"),
    path("<int:filing_id>/return/", views.return_for_correction, name="return"),
    path("<int:filing_id>/withdraw/", views.withdraw, name="withdraw"),
]
