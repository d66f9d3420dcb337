from django.urls import path

from . import views, views_otp, views_resident, views_service_a, views_staff

app_name = "accounts"
# The account's home page (the services it may use) and the paper form organizations bring to
# the bureau are pages of the interface: zairyu/urls.py adds them to this namespace.
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("keepalive/", views.keepalive, name="keepalive"),
    path("me/", views.my_registration, name="me"),
    path("me/password/", views.password_change, name="password_change"),
    path("me/email/", views.email_change, name="email_change"),
    path("me/address/", views.address_change, name="address_change"),
    # Second factor (ID-17) and the new-password step after an officer re-issued one (BO-3)
    path("login/second-factor/", views_otp.otp_verify, name="otp_verify"),
    path("login/new-password/", views_otp.password_renew, name="password_renew"),
    path("me/second-factor/", views_otp.otp_manage, name="otp_manage"),
    path("me/second-factor/setup/", views_otp.otp_setup, name="otp_setup"),
    path("me/second-factor/disable/", views_otp.otp_disable, name="otp_disable"),
    # Residents' own accounts (ID-1 registration, ID-12 re-notification)
    path("register/", views_resident.register, name="resident_register"),
    path("register/done/", views_resident.registered, name="resident_registered"),
    path("renotify/", views_resident.renotify, name="resident_renotify"),
    path("renotify/sent/", views_resident.renotified, name="resident_renotified"),
    # Service A self-registration (ID-3, ID-4, ID-6), re-binding (ID-3), forgot password (ID-13)
    path("service-a/register/", views_service_a.register_start, name="service_a_register"),
    path(
        "service-a/register/lawyer/",
        views_service_a.register_lawyer,
        name="service_a_register_lawyer",
    ),
    path(
        "service-a/register/coe-recipient/",
        views_service_a.register_coe_recipient,
        name="service_a_register_coe",
    ),
    path(
        "service-a/register/sent/",
        views_service_a.register_sent,
        name="service_a_register_sent",
    ),
    path(
        "service-a/register/<str:category>/certificate/",
        views_service_a.register_certificate,
        name="service_a_register_certificate",
    ),
    path(
        "service-a/register/<str:category>/details/",
        views_service_a.register_details,
        name="service_a_register_details",
    ),
    path(
        "service-a/demo-certificates/<slug:slug>/",
        views_service_a.demo_certificate,
        name="service_a_demo_certificate",
    ),
    path(
        "service-a/password/set/<str:uidb64>/<str:token>/",
        views_service_a.set_password,
        name="service_a_set_password",
    ),
    path(
        "service-a/password/forgot/",
        views_service_a.forgot_password,
        name="service_a_forgot_password",
    ),
    path(
        "service-a/password/forgot/sent/",
        views_service_a.forgot_password_sent,
        name="service_a_forgot_password_sent",
    ),
    path(
        "service-a/password/reset/<str:uidb64>/<str:token>/",
        views_service_a.reset_password,
        name="service_a_reset_password",
    ),
    path("service-a/certificate/", views_service_a.rebind, name="service_a_rebind"),
    # Staff of organizations, public-interest corporations and RSOs (ID-5, ID-10, ID-11)
    path("staff/request/", views_staff.request_for_use, name="staff_request"),
    path("staff/request/sent/", views_staff.request_sent, name="staff_request_sent"),
    path(
        "staff/password/set/<str:uidb64>/<str:token>/",
        views_staff.set_password,
        name="staff_set_password",
    ),
    path("staff/", views_staff.organization, name="staff_organization"),
    path("staff/report/", views_staff.periodic_report, name="staff_report"),
    path("staff/change/", views_staff.change_report, name="staff_change"),
    path(
        "staff/users/<int:account_id>/resign/",
        views_staff.resignation,
        name="staff_resignation",
    ),
    path("me/delete/", views_staff.deletion, name="staff_deletion"),
]
