from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApplicationsConfig(AppConfig):
    name = "zairyu.applications"
    verbose_name = _("Residence applications (service A)")
