from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BulkConfig(AppConfig):
    name = "zairyu.bulk"
    verbose_name = _("Bulk filing")

    def ready(self) -> None:
        from zairyu.core.work import register_housekeeper, register_sweeper

        from . import (
            service_a,  # noqa: F401  (registers the service A row kinds)
            service_n,  # noqa: F401  (registers the service N row kinds)
            service_o,  # noqa: F401  (registers the service O row kinds)
        )
        from .services import bulk_purge, bulk_sweep

        # Jobs left received/processing (a lost broker message, a killed worker) resume.
        register_sweeper("bulk", bulk_sweep)
        # Finished jobs hold uploaded personal data: deleted after ZAIRYU_BULK_RETENTION_DAYS.
        register_housekeeper("bulk_retention", bulk_purge)
