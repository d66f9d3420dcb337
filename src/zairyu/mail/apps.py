from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailConfig(AppConfig):
    name = "zairyu.mail"
    verbose_name = _("Mail")

    def ready(self) -> None:
        from zairyu.core.broker import MAIL
        from zairyu.core.metrics import register_gauge
        from zairyu.core.work import register_sweeper

        from .services import mail_sweep

        # Due and abandoned mails, swept on the mail queue like their task.
        register_sweeper("mail", mail_sweep, queue=MAIL)
        register_gauge(
            "zairyu_mail_unsent",
            "Mails not sent yet, by state (queued, sending, failed).",
            _unsent_mails,
        )


def _unsent_mails():
    from zairyu.core.metrics import count_by_state

    from .models import Mail

    return count_by_state(
        Mail.objects.all(), [Mail.State.QUEUED, Mail.State.SENDING, Mail.State.FAILED]
    )
