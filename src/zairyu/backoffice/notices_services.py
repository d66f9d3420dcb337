"""Notices on the top page (BO-7; 001 Q24, 002 Q2-3: planned maintenance is announced there).

One function per use case; each writes its audit event in the same transaction as the change,
with the notice's fields before and after (the admin's ``AuditedModelAdmin`` writes the same
actions, so the trail reads alike whichever page was used).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from zairyu.audit.admin_mixins import snapshot
from zairyu.audit.services import audit_record
from zairyu.core import clock
from zairyu.portal.models import Notice

FIELDS = [
    "kind",
    "title_ja",
    "body_ja",
    "title_en",
    "body_en",
    "maintenance_start",
    "maintenance_end",
    "published_from",
    "published_until",
]


def _apply(notice: Notice, data: dict) -> None:
    for name in FIELDS:
        if name in data:
            setattr(notice, name, data[name])
    if notice.kind != Notice.Kind.MAINTENANCE:
        notice.maintenance_start = notice.maintenance_end = None
    notice.full_clean()


@transaction.atomic
def notice_create(*, actor, data: dict, request=None) -> Notice:
    """Publish a notice (or a planned maintenance window) from ``published_from``."""
    notice = Notice()
    _apply(notice, data)
    notice.save()
    audit_record(
        action="portal.notice.created",
        actor=actor,
        obj=notice,
        after=snapshot(notice),
        request=request,
    )
    return notice


@transaction.atomic
def notice_update(*, actor, notice_id: int, data: dict, request=None) -> Notice:
    """Change a notice; raises ValidationError by field (the model's rules)."""
    notice = Notice.objects.select_for_update().get(pk=notice_id)
    before = snapshot(notice)
    _apply(notice, data)
    notice.save()
    audit_record(
        action="portal.notice.changed",
        actor=actor,
        obj=notice,
        before=before,
        after=snapshot(notice),
        request=request,
    )
    return notice


@transaction.atomic
def notice_end(*, actor, notice_id: int, request=None) -> Notice:
    """Stop showing a notice now (its ``published_until`` becomes now); kept for the record."""
    notice = Notice.objects.select_for_update().get(pk=notice_id)
    now = clock.now()
    if notice.published_until is not None and notice.published_until <= now:
        raise ValidationError(
            {"published_until": _("This notice has already ended; edit it to show it again.")},
            code="ended",
        )
    before = snapshot(notice)
    notice.published_until = now
    if notice.published_from > now:  # never shown: end it where it would have started
        notice.published_until = notice.published_from = now
    notice.save(update_fields=["published_from", "published_until"])
    audit_record(
        action="portal.notice.ended",
        actor=actor,
        obj=notice,
        before=before,
        after=snapshot(notice),
        request=request,
    )
    return notice


def notice_state(notice: Notice, at=None) -> str:
    """ "scheduled", "shown" or "ended" at ``at`` (default now), for the list."""
    at = at or clock.now()
    if notice.published_until is not None and notice.published_until <= at:
        return "ended"
    if notice.published_from > at:
        return "scheduled"
    return "shown"
