from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BulkConfig(AppConfig):
    name = "zairyu.bulk"
    verbose_name = _("Bulk filing")

    def ready(self) -> None:
        from zairyu.core.metrics import register_gauge
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
        register_gauge(
            "zairyu_bulk_jobs_open", "Bulk filing jobs not done yet, by state.", _open_jobs
        )


def _open_jobs():
    from zairyu.core.metrics import count_by_state

    from .models import Job, JobState

    return count_by_state(Job.objects.all(), [JobState.RECEIVED, JobState.PROCESSING])
