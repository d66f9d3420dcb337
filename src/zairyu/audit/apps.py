from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "zairyu.audit"
    verbose_name = _("Audit trail")

    def ready(self) -> None:
        from zairyu.core.metrics import register_gauge

        register_gauge(
            "zairyu_audit_unsealed",
            "Audit events not yet sealed into the hash chain (the sealer runs every few "
            "seconds; a growing number means it is not running).",
            _unsealed,
            label="",
        )


def _unsealed():
    from .models import AuditEvent

    return {"": float(AuditEvent.objects.filter(seal_seq__isnull=True).count())}
