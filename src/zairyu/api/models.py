"""API keys (UX-5): how an organization's HR or school system signs in to the REST API.

A key is shown once when issued (``zr_<prefix>_<secret>``); only the SHA-256 of the whole key
is stored (the secret has 256 bits of randomness: a fast hash is enough, and a stolen table
gives no key). The prefix finds the row; a revoked key stays for the record.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ApiKey(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="api_keys",
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("key prefix"), max_length=16, unique=True)
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(_("issued at"))
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"zr_{self.prefix}_…"

    @property
    def active(self) -> bool:
        return self.revoked_at is None
