"""The back office's own rights: actions that are not a model's add/change/view (SEC-1).

Django permissions hang off a model; ``BackOfficeRight`` is a table-less model that only
carries them. Which role holds which right is ``access.BACK_OFFICE_ROLES`` (the one table), and
views name them only through ``access.PERMISSIONS`` and ``officer_required(<action>)``.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class BackOfficeRight(models.Model):
    class Meta:
        managed = False  # no table: the model only declares permissions
        default_permissions = ()
        verbose_name = _("back-office right")
        verbose_name_plural = _("back-office rights")
        permissions = [
            ("use_backoffice", _("Can open the back office")),
            ("lookup_account", _("Can look up accounts (state, validity, lock)")),
            ("decide_application", _("Can decide applications")),
            ("view_dashboard", _("Can view the dashboard")),
            ("manage_notices", _("Can manage the notices on the top page")),
            ("view_audit", _("Can view the audit trail and verify its chain")),
            ("export_audit", _("Can export the audit trail")),
            ("view_maillog", _("Can view the mail log (recipients masked)")),
            ("view_mail_address", _("Can see mail recipients' full addresses")),
            ("requeue_mail", _("Can send failed mails again")),
        ]

    def __str__(self) -> str:
        return str(self._meta.verbose_name)
