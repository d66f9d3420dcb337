from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "zairyu.accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from zairyu.core.work import register_housekeeper

        from . import staff_reports  # noqa: F401  (registers the ID-10 reminder job)
        from .reminders import reminders_daily
        from .service_a import service_a_pending_prune

        register_housekeeper("service_a_pending", service_a_pending_prune)
        register_housekeeper("reminders", reminders_daily)
