"""Bulk filing actions: upload (BK-1..BK-3), processing in batches (BK-3, BK-6), templates and
error files (BK-2, BK-4). Callable without a request (the API calls ``bulk_upload``).

The upload is split so that no request parses a sheet (SEC-4): ``bulk_upload`` makes the cheap
checks (size, type by content, ZIP inspection), stores the file and queues the job; the task
(``bulk_process``) reads the stored file first — the rows, or a reception error with reasons,
shown, mailed and audited exactly like one found at upload — then files the rows.

Audit actions: ``bulk.job.received`` / ``bulk.job.reception_error`` (the upload, or the task
reading the file), ``bulk.job.processing`` (with the rows read), ``bulk.job.done`` (the outcome,
with the counts).
Mails (``templates/mail/<lang>/``): ``bulk_done`` and ``bulk_reception_error`` (BK-6; 001 Q79).

The module does the processing (``bulk_process``: the batches, BK-3, BK-6), the sweeper, the
deletion of a row's application (BK-5) and the retention job; its parts are ``lifecycle`` (the
one ``transition``), ``reception`` (upload and reading the file) and ``error_files``
(templates and error files), all importable from here.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext as _

from zairyu.accounts.models import User
from zairyu.audit.services import audit_record
from zairyu.core import clock
from zairyu.core.db import update_rows
from zairyu.core.memory import gc_paused
from zairyu.core.work import claim, lease_until, wake_due
from zairyu.reference import cache as reference_cache

from .error_files import (
    ERRORS_COLUMN,
    SOURCE_ROW_COLUMN,
    XLSX_TYPE,
    _instructions,
    error_file,
    errors_header,
    source_row_header,
    template_file,
)
from .kinds import Prepared, RowKind, get_kind
from .lifecycle import _MAILS, JobStateError, _queue_mail, transition
from .models import Job, JobRow, JobState, RowState
from .reception import (
    UPLOAD_CONTEXT,
    _accepted_headers,
    _guess_format,
    _map_header,
    _meta_headers,
    _options,
    _read_limited,
    _receive,
    _receive_end,
    _unknown_kind_message,
    _upload_discard,
    _upload_name,
    _upload_read,
    _upload_store,
    bulk_receive,
    bulk_upload,
)

__all__ = [
    "ERRORS_COLUMN",
    "SOURCE_ROW_COLUMN",
    "UPLOAD_CONTEXT",
    "XLSX_TYPE",
    "JobStateError",
    "_MAILS",
    "_accepted_headers",
    "_guess_format",
    "_instructions",
    "_map_header",
    "_meta_headers",
    "_options",
    "_queue_mail",
    "_read_limited",
    "_receive",
    "_receive_end",
    "_unknown_kind_message",
    "_upload_discard",
    "_upload_name",
    "_upload_read",
    "_upload_store",
    "bulk_error_delete",
    "bulk_process",
    "bulk_purge",
    "bulk_receive",
    "bulk_sweep",
    "bulk_upload",
    "error_file",
    "errors_header",
    "source_row_header",
    "template_file",
    "transition",
]


# --- processing ---------------------------------------------------------------------------------


def _ready(now) -> Q:
    return Q(state__in=[JobState.RECEIVED, JobState.PROCESSING]) & (
        Q(leased_until__isnull=True) | Q(leased_until__lt=now)
    )


def bulk_process(*, job_id: int) -> bool:
    """Read a received job's file, then work through its pending rows in batches; True if this
    call finished the job (done, or a reception error found in the file).

    Claims the job with a lease (a second worker does nothing); the file is read first
    (``bulk_receive``: the rows, or the reception error), then each batch is validated
    outside any transaction, matched against the registry in one query, then filed and its
    rows marked in ONE transaction, which also re-checks the claim (fencing) and renews the
    lease. A worker that dies leaves at most one batch rolled back; the sweeper resumes.
    """
    now = clock.now()
    if not claim(
        Job.objects,
        pk=job_id,
        ready=_ready(now),
        claimed={"leased_until": lease_until(), "attempts": F("attempts") + 1},
    ):
        return False
    job = Job.objects.select_related("user").get(pk=job_id)
    kind = get_kind(job.kind)
    with translation.override(job.language):
        if job.state == JobState.RECEIVED:
            job = bulk_receive(job=job, kind=kind)
            if job is None:
                return False
            if job.state == JobState.RECEPTION_ERROR:
                return True
        while True:
            size = _batch_size(kind)
            pending = JobRow.objects.filter(job=job, state=RowState.PENDING).order_by("row_number")
            batch = list(pending[:size] if size else pending)
            if not batch:
                break
            # A batch is bounded (ZAIRYU_BULK_BATCH_ROWS rows): no collector runs within it.
            with gc_paused():
                if not _run_batch(job, kind, batch):
                    return False
    job.refresh_from_db()
    transition(job, to=JobState.DONE)
    return True


def _batch_size(kind: RowKind | None) -> int:
    if kind is None:
        return settings.ZAIRYU_BULK_BATCH_ROWS
    if kind.batch_size == 0:
        return 0
    return kind.batch_size or settings.ZAIRYU_BULK_BATCH_ROWS


def _unknown_kind_errors(batch: list[JobRow]) -> list[Prepared]:
    message = _unknown_kind_message()
    from .kinds import CellError

    return [Prepared(row=row, errors=[CellError("", message, "kind")]) for row in batch]


def _run_batch(job: Job, kind: RowKind | None, batch: list[JobRow]) -> bool:
    prepared = kind.validate(job, batch) if kind is not None else _unknown_kind_errors(batch)
    now = clock.now()
    # The batch writes no reference data: the services may read what the reference cache
    # held before the transaction (holidays, statuses …) instead of one query per row.
    with reference_cache.reuse_in_transaction(), transaction.atomic():
        locked = Job.objects.select_for_update().get(pk=job.pk)
        if locked.state != JobState.PROCESSING or locked.attempts != job.attempts:
            return False  # another worker took the job over (its lease had run out)
        valid = [p for p in prepared if kind.keeps_error_rows or not p.errors]
        outcomes = {o.row_number: o for o in (kind.submit(job, valid) if valid else [])}
        accepted = errors = 0
        for item in prepared:
            row = item.row
            row.processed_at = now
            outcome = outcomes.get(row.row_number)
            if item.errors or outcome is None or not outcome.ok:
                row.state = RowState.ERROR
                found = (outcome.errors if outcome else []) or item.errors
                row.errors = [e.as_json() for e in found]
                if outcome is not None and outcome.obj is not None:  # e.g. エラー(一括登録)
                    row.object_type = outcome.obj._meta.label_lower
                    row.object_id = str(outcome.obj.pk)
                    row.object_number = outcome.number
                errors += 1
            else:
                row.state = RowState.ACCEPTED
                row.errors = []
                row.object_type = outcome.obj._meta.label_lower
                row.object_id = str(outcome.obj.pk)
                row.object_number = outcome.number
                accepted += 1
        _mark(batch, now)
        Job.objects.filter(pk=job.pk).update(
            processed_rows=F("processed_rows") + len(batch),
            accepted_rows=F("accepted_rows") + accepted,
            error_rows=F("error_rows") + errors,
            leased_until=lease_until(),
        )
    return True


def _mark(batch: list[JobRow], now) -> None:
    """Write what became of each row of a batch: the accepted rows share their state and
    differ only in the record they made (one UPDATE of the state, one of the record columns:
    ``update_rows``); a row with errors gets its own UPDATE (its messages are its own)."""
    accepted = [row for row in batch if row.state == RowState.ACCEPTED]
    if accepted:
        JobRow.objects.filter(pk__in=[row.pk for row in accepted]).update(
            state=RowState.ACCEPTED, errors=[], processed_at=now
        )
        update_rows(JobRow, ["object_type", "object_id", "object_number"], accepted)
    for row in batch:
        if row.state != RowState.ACCEPTED:
            JobRow.objects.filter(pk=row.pk).update(
                state=row.state,
                errors=row.errors,
                object_type=row.object_type,
                object_id=row.object_id,
                object_number=row.object_number,
                processed_at=now,
            )


def bulk_sweep(*, limit: int = 100) -> int:
    """Wake again jobs still received/processing whose task never ran or whose worker died: not
    claimed (or the lease ran out) and not woken for ``ZAIRYU_WAKE_GRACE_SECONDS``
    (``core.work.wake_due``: a job woken more recently is still queued behind other work)."""
    from .tasks import bulk_process_task

    return wake_due(
        Job.objects.filter(_ready(clock.now())),
        bulk_process_task,
        grace_seconds=settings.ZAIRYU_WAKE_GRACE_SECONDS,
        since="state_changed_at",
        limit=limit,
    )


def bulk_error_delete(*, user: User, row_id: int, request: HttpRequest | None = None) -> None:
    """BK-5 (002 Q4-25): the filer deletes a row's application in エラー(一括登録) (to upload
    the row again corrected). Only their own, only in that state; audited
    ``bulk.application.deleted``. Raises ValidationError (field ``row``) otherwise."""
    from zairyu.applications.models import Application, ApplicationState

    refused = ValidationError(
        {
            "row": [
                ValidationError(
                    _(
                        "Only an application of yours in “Error (bulk registration)” can be "
                        "deleted here."
                    ),
                    code="not_bulk_error",
                )
            ]
        }
    )
    with transaction.atomic():
        row = (
            JobRow.objects.select_for_update()
            .filter(pk=row_id, job__user=user, object_type="applications.application")
            .first()
        )
        if row is None or not row.object_id:
            raise refused
        application = (
            Application.objects.select_for_update(of=("self",))
            .filter(pk=row.object_id, filer=user, state=ApplicationState.BULK_ERROR)
            .first()
        )
        if application is None:
            raise refused
        audit_record(
            action="bulk.application.deleted",
            obj=application,
            actor=user,
            before={"state": application.state, "job": row.job_id, "row": row.row_number},
            request=request,
        )
        application.delete()
        row.object_id = ""
        row.object_number = ""
        row.save(update_fields=["object_id", "object_number"])


def bulk_purge(*, now=None, batch: int = 500) -> int:
    """Delete finished jobs (done, reception error) that ended more than
    ``ZAIRYU_BULK_RETENTION_DAYS`` ago, with their rows (the uploaded personal data) and history;
    return how many. What the rows filed stays. Jobs still open are never deleted. The audit
    trail records the ids deleted (no content). Run daily (``register_housekeeper``)."""
    import datetime as dt

    days = settings.ZAIRYU_BULK_RETENTION_DAYS
    cutoff = (now or clock.now()) - dt.timedelta(days=days)
    total = 0
    while True:
        ids = list(
            Job.objects.filter(
                state__in=[JobState.DONE, JobState.RECEPTION_ERROR], finished_at__lt=cutoff
            )
            .order_by("id")
            .values_list("pk", flat=True)[:batch]
        )
        if not ids:
            return total
        with transaction.atomic():
            Job.objects.filter(pk__in=ids).delete()
            audit_record(
                action="bulk.job.purged",
                object_type="bulk.job",
                after={"jobs": ids, "retention_days": days, "before": cutoff.isoformat()},
            )
        total += len(ids)
