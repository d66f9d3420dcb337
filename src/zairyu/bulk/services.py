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
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F, Q
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext as _

from zairyu.accounts.models import User
from zairyu.audit.services import audit_record
from zairyu.core import clock, crypto
from zairyu.core.db import update_rows
from zairyu.core.memory import gc_paused
from zairyu.core.work import claim, enqueue_on_commit, lease_until
from zairyu.mail.services import mail_queue
from zairyu.reference import cache as reference_cache

from . import spreadsheets
from .kinds import Column, Prepared, RowKind, get_kind
from .models import NEW, TRANSITIONS, FileFormat, Job, JobRow, JobState, JobStateChange, RowState
from .spreadsheets import ReceptionError, normalise_header

log = logging.getLogger(__name__)

ERRORS_COLUMN = "errors"
SOURCE_ROW_COLUMN = "source_row"


class JobStateError(Exception):
    """A transition the state table does not allow."""


# --- the one transition function ---------------------------------------------------------------

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
    """Move ``job`` to state ``to`` if the table allows it: lock, history row, audit, mail."""
    with transaction.atomic():
        if job.pk is None:
            locked, from_state = job, NEW
        else:
            locked = Job.objects.select_for_update().select_related("user").get(pk=job.pk)
            from_state = locked.state
        if to not in TRANSITIONS.get(from_state, frozenset()):
            raise JobStateError(f"bulk job {locked.pk}: {from_state or 'new'} → {to}")
        now = clock.now()
        locked.state = to
        locked.state_changed_at = now
        for name, value in (fields or {}).items():
            setattr(locked, name, value)
        if to in (JobState.DONE, JobState.RECEPTION_ERROR):
            locked.finished_at = now
            locked.leased_until = None
        locked.save()
        JobStateChange.objects.create(
            job=locked, at=now, from_state=from_state, to_state=to, actor=actor
        )
        after: dict[str, Any] = {"state": to, "kind": locked.kind}
        if to == JobState.RECEIVED:
            after["file_format"] = locked.file_format
        if to == JobState.PROCESSING:
            after["rows"] = locked.total_rows
        if to == JobState.RECEPTION_ERROR:
            after["reasons"] = locked.reasons
        if to == JobState.DONE:
            after.update(accepted=locked.accepted_rows, errors=locked.error_rows)
        audit_record(
            action=f"bulk.job.{to}",
            obj=locked,
            actor=actor,
            before={"state": from_state} if from_state else None,
            after=after,
            request=request,
        )
        _queue_mail(locked, to)
        if to == JobState.RECEIVED:
            from .tasks import bulk_process_task

            enqueue_on_commit(bulk_process_task, locked.pk)
    return locked


# --- headers ------------------------------------------------------------------------------------


def _meta_headers() -> dict[str, set[str]]:
    """Headers of the columns an error file adds, in every language (ignored on upload)."""
    found: dict[str, set[str]] = {ERRORS_COLUMN: {ERRORS_COLUMN}, SOURCE_ROW_COLUMN: {"row"}}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            found[ERRORS_COLUMN].add(normalise_header(errors_header()))
            found[SOURCE_ROW_COLUMN].add(normalise_header(source_row_header()))
    return found


def errors_header() -> str:
    return _("Errors")


def source_row_header() -> str:
    return _("Row in the uploaded file")


def _accepted_headers(kind: RowKind, user) -> dict[str, set[str]]:
    """Each column's name and its label in every language the site offers."""
    found: dict[str, set[str]] = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            for column in kind.columns(user):
                found.setdefault(column.name, {normalise_header(column.name)}).add(
                    normalise_header(column.label)
                )
    return found


def _map_header(kind: RowKind, user, sheet: spreadsheets.Sheet) -> dict[int, str]:
    """Return {position: column name}; raise ReceptionError for a wrong template, a missing,
    unknown or repeated column (BK-3)."""
    columns = kind.columns(user)
    if sheet.marker and sheet.marker != kind.key:
        raise ReceptionError(
            [
                _(
                    "This file was made from another template, not the one for “%(kind)s”. "
                    "Choose the kind of filing the file is for, or download the template for "
                    "“%(kind)s” and copy the rows into it."
                )
                % {"kind": kind.title}
            ],
            code="wrong_template",
        )
    if not sheet.header:
        raise ReceptionError([_("The file has no header row and no rows.")], code="empty")
    accepted = _accepted_headers(kind, user)
    meta = _meta_headers()
    positions: dict[int, str] = {}
    unknown: list[str] = []
    repeated: list[str] = []
    for index, text in enumerate(sheet.header):
        key = normalise_header(text)
        if not key:
            continue
        name = next((n for n, texts in accepted.items() if key in texts), None)
        if name is None:
            if any(key in texts for texts in meta.values()):
                continue
            unknown.append(text)
            continue
        if name in positions.values():
            repeated.append(text)
            continue
        positions[index] = name
    labels = {c.name: c.label for c in columns}
    if not positions:
        raise ReceptionError(
            [
                _(
                    "The header row is not that of the template for “%(kind)s”. Download that "
                    "template, copy the rows into it and upload it again; keep its first row as "
                    "it is."
                )
                % {"kind": kind.title}
            ],
            code="wrong_template",
        )
    reasons = []
    missing = [labels[c.name] for c in columns if c.name not in positions.values()]
    if missing:
        reasons.append(
            _(
                "These columns of the template are missing: %(columns)s. Add them back (copy the "
                "header row from the template) and upload the file again."
            )
            % {"columns": ", ".join(f"“{m}”" for m in missing)}
        )
    if unknown:
        reasons.append(
            _(
                "These columns are not part of the template for “%(kind)s”: %(columns)s. Remove "
                "them or use the template as downloaded."
            )
            % {"kind": kind.title, "columns": ", ".join(f"“{u}”" for u in unknown)}
        )
    if repeated:
        reasons.append(
            _("These columns appear twice: %(columns)s. Keep one of each.")
            % {"columns": ", ".join(f"“{r}”" for r in repeated)}
        )
    if reasons:
        raise ReceptionError(reasons, code="columns")
    return positions


# --- upload --------------------------------------------------------------------------------------


def _read_limited(file) -> bytes:
    """Read an upload, never more than the limit allows (SEC-4: size before reading)."""
    limit = settings.ZAIRYU_BULK_MAX_BYTES
    size = getattr(file, "size", None)
    if size is not None and size > limit:
        raise ReceptionError([spreadsheets._too_big()], code="too_big")
    if hasattr(file, "seek"):
        file.seek(0)
    data = file.read(limit + 1)
    if len(data) > limit:
        raise ReceptionError([spreadsheets._too_big()], code="too_big")
    return data


def bulk_upload(
    *,
    user: User,
    file,
    kind: str,
    options: dict | None = None,
    file_name: str = "",
    request: HttpRequest | None = None,
) -> Job:
    """Receive a file of ``kind`` from ``user``: a job in 受付 received with the file stored
    (its task, queued on commit, reads it: ``bulk_receive``), or in 受付エラー reception_error
    with the reasons when the cheap checks refuse it (size, type, workbook structure). No sheet
    is parsed here, so a request costs the same whatever the file claims to hold (SEC-4).

    Raises ValidationError (nothing recorded) when ``user`` may not use ``kind`` or the
    options are invalid; raises nothing for a bad file — that is a job in reception error, so
    the user sees why and gets the mail (001 Q79).
    """
    row_kind = get_kind(kind)
    if row_kind is None or not row_kind.available_to(user):
        raise ValidationError(
            {"kind": [ValidationError(_("Choose one of the kinds of filing offered."), "kind")]}
        )
    cleaned_options = row_kind.clean_options(user, _options(row_kind, user, options or {}))
    name = (file_name or getattr(file, "name", "") or "")[-200:]
    now = clock.now()
    job = Job(
        kind=row_kind.key,
        user=user,
        options=cleaned_options,
        file_name=name,
        file_format="",
        # A page's language; without a request (the API), the account's.
        language=(translation.get_language() if request else None) or user.language or "ja",
        created_at=now,
        state_changed_at=now,
    )
    try:
        data = _read_limited(file)
        job.file_format, job.encoding = spreadsheets.check_upload(data)
    except ReceptionError as refused:
        job.file_format = job.file_format or _guess_format(name)
        job.reasons = refused.reasons
        return transition(job, to=JobState.RECEPTION_ERROR, actor=user, request=request)
    # The sheet is read by the task, not here: a request costs the checks above and one write
    # of at most ZAIRYU_BULK_MAX_BYTES, whatever the sheet claims to hold.
    try:
        with transaction.atomic():
            job = transition(job, to=JobState.RECEIVED, actor=user, request=request)
            _upload_store(job, data)
    except BaseException:
        if job.pk:
            _upload_discard(job)
        raise
    return job


# --- the stored upload ---------------------------------------------------------------------------


UPLOAD_CONTEXT = "bulk.upload"


def _upload_name(job: Job) -> str:
    """Where a received job's file waits for the task: the default storage (MEDIA_ROOT or the
    private bucket, which every web and worker machine shares), never served over HTTP."""
    return f"bulk/uploads/{job.pk}.upload"


def _upload_store(job: Job, data: bytes) -> None:
    name = _upload_name(job)
    if default_storage.exists(name):  # left over from a database reset (ids start again)
        default_storage.delete(name)
    # SEC-3: the file holds card numbers and birth dates; stored encrypted like the rows.
    sealed = crypto.encrypt_bytes(data, context=UPLOAD_CONTEXT)
    saved = default_storage.save(name, ContentFile(sealed))
    if saved != name:
        raise RuntimeError(f"bulk job {job.pk}: stored as {saved}, expected {name}")


def _upload_read(job: Job) -> bytes | None:
    name = _upload_name(job)
    if not default_storage.exists(name):
        return None
    with default_storage.open(name, "rb") as stored:
        sealed = stored.read(settings.ZAIRYU_BULK_MAX_BYTES + crypto.BYTES_OVERHEAD + 1)
    try:
        return crypto.decrypt_bytes(sealed, context=UPLOAD_CONTEXT)
    except crypto.DecryptionError:
        log.warning("bulk job %s: the stored upload does not decrypt", job.pk)
        return None


def _upload_discard(job: Job) -> None:
    """Delete a job's stored file once its rows are read or it is refused (its personal data
    live on only in the rows)."""
    try:
        default_storage.delete(_upload_name(job))
    except OSError:
        log.warning("bulk job %s: the stored upload could not be deleted", job.pk, exc_info=True)


def bulk_receive(*, job: Job, kind: RowKind | None = None) -> Job | None:
    """Read a received job's stored file (the task's part of the upload, BK-3): create its rows
    and move it to processing, or refuse the whole file (reception error, with the reasons,
    mailed and audited as at upload). Return the job, or None if another worker holds it.

    ``bulk_process`` calls it under its claim; on its own (tests) it is still safe: the end
    is fenced like a batch (the job still received, the same claim). The reasons are in the
    job's language, as the rows' messages are."""
    with translation.override(job.language):
        return _receive(job, kind if kind is not None else get_kind(job.kind))


def _receive(job: Job, kind: RowKind | None) -> Job | None:
    data = _upload_read(job)
    fields: dict[str, Any] = {}
    try:
        if data is None:
            if job.rows.exists():  # read at upload (a job queued before this version)
                return _receive_end(job, to=JobState.PROCESSING, fields={})
            raise ReceptionError(
                [
                    _(
                        "The uploaded file was no longer there to be read (it may have been "
                        "removed while the service was restarted). Upload the file again."
                    )
                ],
                code="lost",
            )
        if kind is None:
            raise ReceptionError([_unknown_kind_message()], code="kind")
        sheet = spreadsheets.read_upload(data)
        fields = {"file_format": sheet.file_format, "encoding": sheet.encoding}
        positions = _map_header(kind, job.user, sheet)
        if len(sheet.rows) > settings.ZAIRYU_BULK_MAX_ROWS:
            raise ReceptionError(
                [
                    _(
                        "The file has %(count)d rows; at most %(max)d can be filed at once "
                        "(001 Q77). Split it into files of %(max)d rows or fewer."
                    )
                    % {"count": len(sheet.rows), "max": settings.ZAIRYU_BULK_MAX_ROWS}
                ],
                code="too_many_rows",
            )
        if not sheet.rows:
            raise ReceptionError(
                [_("The file has a header row but no rows to file.")], code="no_rows"
            )
    except ReceptionError as refused:
        fields["reasons"] = refused.reasons
        return _receive_end(job, to=JobState.RECEPTION_ERROR, fields=fields)
    rows = []
    for number, cells in sheet.rows:
        values = {}
        for index, column in positions.items():
            values[column] = cells[index] if index < len(cells) else ""
        if any(values.values()):
            rows.append(JobRow(row_number=number, values=values))
    fields["total_rows"] = len(rows)
    return _receive_end(job, to=JobState.PROCESSING, fields=fields, rows=rows)


def _receive_end(
    job: Job, *, to: str, fields: dict[str, Any], rows: list[JobRow] = ()
) -> Job | None:
    with transaction.atomic():
        locked = Job.objects.select_for_update().get(pk=job.pk)
        if locked.state != JobState.RECEIVED or locked.attempts != job.attempts:
            return None  # another worker took the job over (its lease had run out)
        job = transition(job, to=to, fields=fields)
        for row in rows:
            row.job = job
        JobRow.objects.bulk_create(rows, batch_size=500)
        finished = job
        transaction.on_commit(lambda: _upload_discard(finished))
    return job


def _options(kind: RowKind, user, options: dict) -> dict:
    """Check the file's options with the kind's own fields (the single form's)."""
    from .forms import explain_required

    fields = kind.option_fields(user)
    explain_required(fields)
    cleaned: dict[str, Any] = {}
    found: dict[str, list[ValidationError]] = {}
    for name, field in fields.items():
        try:
            cleaned[name] = field.clean(options.get(name))
        except ValidationError as exc:
            found[name] = exc.error_list
    if found:
        raise ValidationError(found)
    return cleaned


def _guess_format(name: str) -> str:
    return FileFormat.XLSX if name.lower().endswith(".xlsx") else FileFormat.CSV


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


def _unknown_kind_message() -> str:
    return _("This kind of filing is no longer offered. Upload the rows with a current template.")


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
    """Re-enqueue jobs still received/processing whose lease ran out or whose task never ran."""
    from .tasks import bulk_process_task

    now = clock.now()
    grace = now - _grace()
    ids = list(
        Job.objects.filter(state__in=[JobState.RECEIVED, JobState.PROCESSING])
        .filter(Q(leased_until__lt=now) | Q(leased_until__isnull=True, state_changed_at__lt=grace))
        .values_list("pk", flat=True)[:limit]
    )
    for pk in ids:
        bulk_process_task.delay(pk)
    return len(ids)


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


def _grace():
    import datetime as dt

    return dt.timedelta(seconds=settings.ZAIRYU_WORK_LEASE_SECONDS)


# --- templates and error files ----------------------------------------------------------------


def _instructions(kind: RowKind, columns: list[Column], *, error_file: bool) -> list[str]:
    lines = [
        kind.title,
        kind.description,
        _(
            "Fill in one row per person under the header row of the first sheet, at most "
            "%(max)d rows per file (001 Q77). Keep the header row as it is; do not add, remove "
            "or rename columns. Save the file as .xlsx, or as CSV (UTF-8 or Shift_JIS)."
        )
        % {"max": settings.ZAIRYU_BULK_MAX_ROWS},
        _(
            "Dates: YYYY-MM-DD, e.g. 2026-04-01. Columns with a pull-down list take one of its "
            "entries (or just the code before the colon)."
        ),
        _(
            "After the upload, rows with errors are listed with the reason by each cell; the "
            "other rows are filed. Correct only the rows with errors and upload them again."
        ),
    ]
    if error_file:
        lines.append(
            _(
                "This file holds only the rows that had errors: the cells in red carry a comment "
                "with the reason, and the last column lists every error of the row. Correct them "
                "and upload this file again; the extra columns are ignored."
            )
        )
    lines.extend(kind.instructions())
    lines.append("")
    lines.append(_("Columns:"))
    for column in columns:
        required = _("required") if column.required else _("optional")
        line = f"{column.label} ({required})"
        if column.help_text:
            line += f": {column.help_text}"
        if column.choices and len(column.choices) <= 20:
            line += " — " + ", ".join(column.entries)
        elif column.choices:
            line += " — " + _("choose from the pull-down list")
        lines.append(line)
    return [line for line in lines if line is not None]


def template_file(kind: RowKind, user, file_format: str) -> tuple[bytes, str, str]:
    """The template of ``kind`` as (content, file name, content type) (BK-2)."""
    columns = kind.columns(user)
    if file_format == FileFormat.CSV:
        content = spreadsheets.csv_bytes([c.label for c in columns], [])
        return content, f"{kind.key}.csv", "text/csv; charset=utf-8"
    content = spreadsheets.workbook_bytes(
        kind_key=kind.key,
        title=kind.title,
        columns=columns,
        instructions=_instructions(kind, columns, error_file=False),
        data_title=_("Data"),
        instructions_title=_("Instructions"),
    )
    return content, f"{kind.key}.xlsx", XLSX_TYPE


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def error_file(job: Job, file_format: str) -> tuple[bytes, str, str]:
    """The rows with errors as a file of the template's shape (BK-4): each bad cell marked (red
    with a comment in .xlsx), the row's errors in a last column, the row number it had in the
    uploaded file before that. Re-uploading it (corrected) files those rows only."""
    kind = get_kind(job.kind)
    columns = kind.columns(job.user) if kind else []
    rows = list(job.rows.filter(state=RowState.ERROR).order_by("row_number"))
    labels = {c.name: c.label for c in columns}
    table = []
    for row in rows:
        cells = [row.values.get(c.name, "") for c in columns]
        marks: dict[int, list[str]] = {}
        for error in row.errors:
            if error.get("column") in labels:
                index = [c.name for c in columns].index(error["column"]) + 1
                marks.setdefault(index, []).append(error["message"])
        summary = "\n".join(
            f"{labels[e['column']]}: {e['message']}" if e.get("column") in labels else e["message"]
            for e in row.errors
        )
        table.append((cells + [str(row.row_number), summary], marks))
    extra = [source_row_header(), errors_header()]
    base = f"{job.number}-errors"
    if file_format == FileFormat.CSV:
        content = spreadsheets.csv_bytes(
            [c.label for c in columns] + extra, [cells for cells, _marks in table]
        )
        return content, f"{base}.csv", "text/csv; charset=utf-8"
    content = spreadsheets.workbook_bytes(
        kind_key=job.kind,
        title=kind.title if kind else job.kind,
        columns=columns,
        instructions=_instructions(kind, columns, error_file=True) if kind else [],
        data_title=_("Data"),
        instructions_title=_("Instructions"),
        rows=table,
        extra_headers=extra,
        data_rows=0,
    )
    return content, f"{base}.xlsx", XLSX_TYPE
