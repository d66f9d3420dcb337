"""Append-only audit trail (SEC-6), hash-chained so that tampering is detectable.

Events are inserted by the action that causes them, in its transaction, without touching any
shared row (no lock, no serialisation of submissions). A background job seals them afterwards:
it takes the chain head's row lock, gives each unsealed event the next sequence number and the
SHA-256 of its content plus the previous event's hash. See docs/decisions/0002-audit-chain.md.

No foreign keys: an audit row copies the actor's id and name and names its object by type and
id, so deleting a user or a record can never cascade into the trail.
"""

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _

from zairyu.core.encrypted import EncryptedJSONField


class AppendOnlyError(Exception):
    """Raised when code tries to change or delete an audit event."""


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("audit events are append-only")

    def delete(self):
        raise AppendOnlyError("audit events are append-only")


class AuditEvent(models.Model):
    created_at = models.DateTimeField(_("time"), db_index=True)
    actor_id = models.CharField(_("actor ID"), max_length=64, blank=True)
    actor_repr = models.CharField(_("actor"), max_length=200, blank=True)
    action = models.CharField(_("action"), max_length=100, db_index=True)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object ID"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    # SEC-3: snapshots copy personal data (a card's number and birth date); stored encrypted.
    # The chain hashes the plain values, so rotating keys leaves every seal intact.
    before = EncryptedJSONField(_("before"), null=True, blank=True, encoder=DjangoJSONEncoder)
    after = EncryptedJSONField(_("after"), null=True, blank=True, encoder=DjangoJSONEncoder)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    # Filled by the sealer, in order, once; never changed afterwards.
    seal_seq = models.BigIntegerField(_("chain position"), null=True, blank=True, unique=True)
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-id"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object_idx")]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.action} {self.object_repr}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("audit events are append-only")


class AuditChainHead(models.Model):
    """The one row that says where the sealed chain ends; its row lock serialises sealers."""

    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, blank=True)
    sealed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("audit chain head")

    def __str__(self) -> str:
        return f"{self.last_seq}:{self.last_hash[:12]}"
