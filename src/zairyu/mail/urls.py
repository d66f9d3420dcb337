from django.urls import path

from . import views

app_name = "mailbox"
urlpatterns = [
    path("", views.mailbox, name="list"),
    path("<int:pk>/", views.mailbox_detail, name="detail"),
]
