from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _ensure_roles(sender, using="default", **kwargs) -> None:
    """After migrate (and a test flush): the role groups exist with their permissions."""
    from .access import ensure_roles

    if using == "default":
        ensure_roles()


class BackofficeConfig(AppConfig):
    name = "zairyu.backoffice"
    verbose_name = _("Back office")

    def ready(self) -> None:
        # Sent after every app's permissions exist (backoffice is the last installed app).
        post_migrate.connect(_ensure_roles, sender=self, dispatch_uid="backoffice.ensure_roles")
