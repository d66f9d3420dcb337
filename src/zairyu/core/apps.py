from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "zairyu.core"
    verbose_name = _("Core")

    def ready(self) -> None:
        # Django ships no Tagalog; LocaleMiddleware and the language switch need its LANG_INFO.
        from django.conf import locale

        locale.LANG_INFO.setdefault(
            "tl",
            {"bidi": False, "code": "tl", "name": "Tagalog", "name_local": "Tagalog"},
        )

        # Wake-ups the broker refused (core.work): counted, and those still waiting for it.
        from .metrics import register_counter, register_gauge
        from .models import MissedWakeUp
        from .work import WAKE_FAILURES

        register_counter(
            WAKE_FAILURES, "Wake-ups the broker refused although their rows were saved."
        )
        register_gauge(
            "zairyu_wakeups_missed",
            "Refused wake-ups waiting for the broker to answer again.",
            lambda: {"": float(MissedWakeUp.objects.count())},
        )
