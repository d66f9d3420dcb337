from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FilingsConfig(AppConfig):
    name = "zairyu.filings"
    verbose_name = _("Notifications (service N)")

    def ready(self) -> None:
        from zairyu.core.work import register_sweeper

        from .services import filing_sweep

        # Filings left in 登録中 (a lost broker message, a killed worker) are handed out again.
        register_sweeper("filings", filing_sweep)
