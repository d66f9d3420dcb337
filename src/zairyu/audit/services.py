"""Write and seal audit events."""

import datetime as dt
import hashlib
import json
import logging
from dataclasses import dataclass

from django.db import models, transaction
from django.http import HttpRequest

from zairyu.core import clock
from zairyu.core.net import client_address

from .models import AuditChainHead, AuditEvent

log = logging.getLogger(__name__)


def client_ip(request: HttpRequest | None) -> str | None:
    """Return the client address (``core.net.client_address``: X-Forwarded-For only from a
    trusted proxy), the one every rate limit, the A-4 check and the audit trail use."""
    return client_address(request)


def audit_entry(
    *,
    action: str,
    actor=None,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    before: dict | None = None,
    after: dict | None = None,
    request: HttpRequest | None = None,
) -> AuditEvent:
    """One audit event, not yet written: ``audit_record_many`` writes a batch of them."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    if actor is None and request is not None and getattr(request, "user", None) is not None:
        actor = request.user if request.user.is_authenticated else None
    return AuditEvent(
        created_at=clock.now(),
        actor_id=str(actor.pk) if actor is not None else "",
        actor_repr=str(actor)[:200] if actor is not None else "",
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        object_repr=str(obj)[:200] if obj is not None else "",
        before=before,
        after=after,
        ip=client_ip(request),
    )


def audit_record_many(events: list[AuditEvent]) -> list[AuditEvent]:
    """Append the events (``audit_entry``) in the caller's transaction, in one INSERT, in
    order (the sealer chains them by id)."""
    return AuditEvent.objects.bulk_create(events)


def audit_record(**entry) -> AuditEvent:
    """Append one audit event in the caller's transaction (it rolls back with the caller);
    the arguments are ``audit_entry``'s."""
    return audit_record_many([audit_entry(**entry)])[0]


def event_digest(event: AuditEvent, *, seq: int, prev_hash: str) -> str:
    """Return the SHA-256 that seals ``event`` at chain position ``seq`` after ``prev_hash``."""
    payload = {
        "seq": seq,
        "id": event.pk,
        "at": event.created_at.isoformat(timespec="microseconds"),
        "actor_id": event.actor_id,
        "actor": event.actor_repr,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "object": event.object_repr,
        "before": event.before,
        "after": event.after,
        "ip": event.ip,
        "prev": prev_hash,
    }
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _normalised(event: AuditEvent) -> AuditEvent:
    # The database hands back times in UTC on every backend; hash that form.
    event.created_at = event.created_at.astimezone(dt.UTC)
    return event


def audit_seal(*, batch: int = 2000) -> int:
    """Seal unsealed events in insert order after the chain head; return how many were sealed.

    Only the sealer locks the head row, so inserting events never waits for sealing. An event
    whose transaction commits after a later one was sealed simply gets the next position: the
    chain orders events by when they became visible, and every committed event is sealed.
    """
    with transaction.atomic():
        head, _ = AuditChainHead.objects.get_or_create(pk=1)
        head = AuditChainHead.objects.select_for_update().get(pk=1)
        pending = list(AuditEvent.objects.filter(seal_seq__isnull=True).order_by("id")[:batch])
        if not pending:
            return 0
        seq, prev = head.last_seq, head.last_hash
        for event in pending:
            seq += 1
            event.seal_seq = seq
            event.prev_hash = prev
            event.hash = event_digest(_normalised(event), seq=seq, prev_hash=prev)
            prev = event.hash
        # The base QuerySet: sealing is the one update the trail allows.
        models.QuerySet(model=AuditEvent).bulk_update(
            pending, ["seal_seq", "prev_hash", "hash"], batch_size=500
        )
        head.last_seq, head.last_hash, head.sealed_at = seq, prev, clock.now()
        head.save(update_fields=["last_seq", "last_hash", "sealed_at"])
    return len(pending)


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    unsealed: int
    broken_seq: int | None = None
    broken_event_id: int | None = None
    reason: str = ""


def audit_verify() -> ChainReport:
    """Recompute the chain from the start and report the first broken link, if any."""
    head = AuditChainHead.objects.filter(pk=1).first()
    unsealed = AuditEvent.objects.filter(seal_seq__isnull=True).count()
    expected_seq, prev, checked = 1, "", 0
    sealed = AuditEvent.objects.filter(seal_seq__isnull=False).order_by("seal_seq")
    for event in sealed.iterator(chunk_size=2000):
        if event.seal_seq != expected_seq:
            return ChainReport(
                False,
                checked,
                unsealed,
                expected_seq,
                None,
                f"event at position {expected_seq} is missing (next found: {event.seal_seq})",
            )
        if event.prev_hash != prev:
            return ChainReport(
                False,
                checked,
                unsealed,
                event.seal_seq,
                event.pk,
                "link to the previous event does not match",
            )
        if event_digest(_normalised(event), seq=event.seal_seq, prev_hash=prev) != event.hash:
            return ChainReport(
                False,
                checked,
                unsealed,
                event.seal_seq,
                event.pk,
                "content does not match its seal (the row was changed)",
            )
        prev = event.hash
        expected_seq += 1
        checked += 1
    if head is not None and (head.last_seq != checked or head.last_hash != prev):
        return ChainReport(
            False,
            checked,
            unsealed,
            checked + 1,
            None,
            f"chain ends at position {checked} but the head says {head.last_seq} "
            "(events were removed from the end)",
        )
    return ChainReport(True, checked, unsealed)
