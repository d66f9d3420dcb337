from django.urls import path

from . import views

app_name = "reference"
urlpatterns = [
    path("municipalities/", views.municipalities, name="municipalities"),
    path("postal-code/", views.postal_code, name="postal_code"),
]
