from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailConfig(AppConfig):
    name = "zairyu.mail"
    verbose_name = _("Mail")

    def ready(self) -> None:
        from zairyu.core.work import register_sweeper

        from .services import mail_sweep

        register_sweeper("mail", mail_sweep)
