from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("keepalive/", views.keepalive, name="keepalive"),
    path("", views.home, name="home"),
    path("me/", views.my_registration, name="me"),
    path("me/password/", views.password_change, name="password_change"),
    path("me/email/", views.email_change, name="email_change"),
]
