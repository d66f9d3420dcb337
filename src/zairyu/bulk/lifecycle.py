"""The one transition of a bulk job (``models.JOB``, ``zairyu.core.lifecycle``) and what goes
with every move: the history row, the audit event, the mail and the processing task."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import translation

from zairyu.accounts.models import User
from zairyu.audit.services import audit_record
from zairyu.core.work import enqueue_on_commit
from zairyu.mail.services import mail_queue

from .kinds import get_kind
from .models import FINAL, JOB, Job, JobState, JobStateChange, JobStateError

__all__ = ["JobStateError", "transition"]

_MAILS = {JobState.DONE: "bulk_done", JobState.RECEPTION_ERROR: "bulk_reception_error"}


def _queue_mail(job: Job, to: str) -> None:
    template = _MAILS.get(to)
    user = job.user
    if template is None or not user.email:
        return
    language = user.language or job.language or "ja"
    kind = get_kind(job.kind)
    with translation.override(language):
        context = {
            "job": job,
            "recipient": user,
            "kind_title": kind.title if kind else job.kind,
            "reasons": job.reasons,
            "site_url": settings.ZAIRYU_SITE_URL,
        }
        mail_queue(
            template=template, to=user.email, language=language, context=context, related=job
        )


def transition(
    job: Job,
    *,
    to: str,
    actor: User | None = None,
    request: HttpRequest | None = None,
    fields: dict[str, Any] | None = None,
) -> Job:
    """Move ``job`` to state ``to`` if the table allows it (``JOB``): lock, history row, audit,
    mail. A job not written yet (the upload) is inserted whole; ``fields`` change with the
    state (e.g. the reasons of a reception error, the rows read)."""

    def enter(locked: Job, from_state: str, now: dt.datetime) -> list[str]:
        changed = list(fields or {})
        for name, value in (fields or {}).items():
            setattr(locked, name, value)
        if to in FINAL:
            locked.finished_at = now
            locked.leased_until = None
            changed += ["finished_at", "leased_until"]
        return changed

    def record(locked: Job, from_state: str, now: dt.datetime) -> None:
        JobStateChange.objects.create(
            job=locked, at=now, from_state=from_state, to_state=to, actor=actor
        )
        audit_record(
            action=f"bulk.job.{to}",
            obj=locked,
            actor=actor,
            before={"state": from_state} if from_state else None,
            after=_audit_after(locked, to),
            request=request,
        )
        _queue_mail(locked, to)
        if to == JobState.RECEIVED:
            from .tasks import bulk_process_task

            enqueue_on_commit(bulk_process_task, locked.pk)

    return JOB.transition(job, to=to, enter=enter, record=record, select_related=("user",))


def _audit_after(job: Job, to: str) -> dict[str, Any]:
    after: dict[str, Any] = {"state": to, "kind": job.kind}
    if to == JobState.RECEIVED:
        after["file_format"] = job.file_format
    if to == JobState.PROCESSING:
        after["rows"] = job.total_rows
    if to == JobState.RECEPTION_ERROR:
        after["reasons"] = job.reasons
    if to == JobState.DONE:
        after.update(accepted=job.accepted_rows, errors=job.error_rows)
    return after
