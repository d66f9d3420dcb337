from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FilingsConfig(AppConfig):
    name = "zairyu.filings"
    verbose_name = _("Notifications (service N)")

    def ready(self) -> None:
        from zairyu.core.metrics import register_gauge
        from zairyu.core.work import register_housekeeper, register_sweeper

        from .service_o.services import ofiling_purge
        from .services import filing_sweep

        # Filings left in 登録中 (a lost broker message, a killed worker) are handed out again.
        register_sweeper("filings", filing_sweep)
        # OF-3: final service O filings older than the retention period are deleted daily.
        register_housekeeper("service_o_retention", ofiling_purge)
        register_gauge(
            "zairyu_notifications_open",
            "Notifications (service N) waiting for the registry or in error, by state.",
            _open_notifications,
        )
        register_gauge(
            "zairyu_service_o_open",
            "Service O filings waiting for an officer or returned for correction, by state.",
            _open_service_o,
        )


def _open_notifications():
    from zairyu.core.metrics import count_by_state

    from .models import Filing, FilingState

    return count_by_state(Filing.objects.all(), [FilingState.REGISTERING, FilingState.ERROR])


def _open_service_o():
    from zairyu.core.metrics import count_by_state

    from .service_o.models import OFiling, OFilingState

    return count_by_state(OFiling.objects.all(), [OFilingState.PENDING, OFilingState.RETURNED])
