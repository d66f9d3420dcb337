from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApplicationsConfig(AppConfig):
    name = "zairyu.applications"
    verbose_name = _("Residence applications (service A)")

    def ready(self) -> None:
        from zairyu.core.broker import URGENT
        from zairyu.core.metrics import register_gauge
        from zairyu.core.work import register_housekeeper, register_sweeper

        from .services import draft_purge, receipt_sweep

        # submitted applications still without a receipt number (a lost broker message,
        # a killed worker) are handed out again, swept on the urgent queue like their task.
        register_sweeper("applications_receipt", receipt_sweep, queue=URGENT)
        # drafts nobody saved for ZAIRYU_DRAFT_PURGE_DAYS are deleted daily.
        register_housekeeper("applications_drafts", draft_purge)
        register_gauge(
            "zairyu_applications_open",
            "Applications (service A) filed and not decided yet, or in error, by state.",
            _open_applications,
        )


def _open_applications():
    from zairyu.core.metrics import count_by_state

    from .models import Application, ApplicationState

    S = ApplicationState
    return count_by_state(
        Application.objects.all(),
        [S.SUBMITTED, S.EXAMINING, S.AWAITING_ISSUE, S.RECEIPT_ERROR],
    )
