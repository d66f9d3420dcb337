"""The admin app with the project's default site (``accounts.admin_site``, ID-17, SEC-2).

Listed in INSTALLED_APPS instead of ``django.contrib.admin``; the site is named by its dotted
path, so nothing here imports models while the app registry loads.
"""

from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig


class AdminConfig(DjangoAdminConfig):
    default_site = "zairyu.accounts.admin_site.SecondFactorAdminSite"
