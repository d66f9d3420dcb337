from django.apps import AppConfig
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils.translation import gettext_lazy as _


class ReferenceConfig(AppConfig):
    name = "zairyu.reference"
    verbose_name = _("Reference data")

    def ready(self) -> None:
        from zairyu.core import days

        from . import cache, selectors

        # Any change to reference data clears this process's cache (cache.py explains why).
        for model in self.get_models():
            post_save.connect(cache.clear_on_change, sender=model, dispatch_uid=f"ref-{model}")
            post_delete.connect(cache.clear_on_change, sender=model, dispatch_uid=f"refd-{model}")
            for m2m in model._meta.local_many_to_many:
                m2m_changed.connect(
                    cache.clear_on_change,
                    sender=m2m.remote_field.through,
                    dispatch_uid=f"refm-{model}-{m2m.name}",
                )
        days.set_closure_source(selectors.closure_dates)
