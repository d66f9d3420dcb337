from django.urls import path

from . import views

app_name = "portal"
urlpatterns = [
    path("", views.index, name="index"),
    path("services/<slug:slug>/", views.service, name="service"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("help/", views.help_index, name="help"),
    path("help/<slug:slug>/", views.help_topic, name="help_topic"),
]
