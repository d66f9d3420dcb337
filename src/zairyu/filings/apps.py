from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FilingsConfig(AppConfig):
    name = "zairyu.filings"
    verbose_name = _("Notifications (service N)")

    def ready(self) -> None:
        from zairyu.core.work import register_housekeeper, register_sweeper

        from .service_o.services import ofiling_purge
        from .services import filing_sweep

        # Filings left in 登録中 (a lost broker message, a killed worker) are handed out again.
        register_sweeper("filings", filing_sweep)
        # OF-3: final service O filings older than the retention period are deleted daily.
        register_housekeeper("service_o_retention", ofiling_purge)
