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
