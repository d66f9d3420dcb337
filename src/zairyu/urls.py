"""URL map. Language-independent paths; the language comes from the cookie or Accept-Language."""

from django.contrib import admin
from django.urls import include, path

from zairyu.accounts.urls import app_name as accounts_app
from zairyu.accounts.urls import urlpatterns as accounts_patterns
from zairyu.api.api import api
from zairyu.backoffice.accounts_views import registration_form_download
from zairyu.portal.views import home

# The accounts pages, with the two that belong to the interface: the home page after sign-in
# (it lists the services and menus, API keys included) and the paper form 利用者情報登録届出書
# (ID-2, public; built from the officer form's fields, so the two never drift apart).
accounts = [
    path("", home, name="home"),
    path(
        "forms/organization-registration.xlsx",
        registration_form_download,
        name="organization_registration_form",
    ),
    *accounts_patterns,
]

urlpatterns = [
    path("", include("zairyu.portal.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/api-keys/", include("zairyu.api.urls")),
    path("accounts/", include((accounts, accounts_app))),
    path("api/v1/", api.urls),
    path("reference/", include("zairyu.reference.urls")),
    path("backoffice/applications/", include("zairyu.backoffice.applications_urls")),
    path("backoffice/service-o/", include("zairyu.backoffice.service_o_urls")),
    path("backoffice/", include("zairyu.backoffice.urls")),
    path("notifications/", include("zairyu.filings.urls")),
    path("service-o/", include("zairyu.filings.service_o.urls")),
    path("applications/", include("zairyu.applications.urls")),
    path("coe/", include("zairyu.applications.coe_urls")),
    path("bulk/", include("zairyu.bulk.urls")),
    path("admin/", admin.site.urls),
    path("", include("zairyu.core.urls")),
    # Answers 404 unless settings.ZAIRYU_DEMO_MAILBOX is on (dev only).
    path("demo/mailbox/", include("zairyu.mail.urls")),
]

# A 500 that is the database being unavailable answers 503 (core.views.server_error); 403
# and 404 are Django's own views with the templates in core/templates/.
handler400 = "zairyu.core.views.bad_request"
handler500 = "zairyu.core.views.server_error"
handler403 = "zairyu.core.views.permission_denied"
