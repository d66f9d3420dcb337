"""Reception (BK-1..BK-3, SEC-4): the upload request's cheap checks and the stored file, then
the task's reading of it — the rows, or a reception error with its reasons for the whole file."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext as _

from zairyu.accounts.models import User
from zairyu.core import clock, crypto

from . import spreadsheets
from .error_files import ERRORS_COLUMN, SOURCE_ROW_COLUMN, errors_header, source_row_header
from .kinds import RowKind, get_kind
from .lifecycle import transition
from .models import FileFormat, Job, JobRow, JobState
from .spreadsheets import ReceptionError, normalise_header

log = logging.getLogger(__name__)


# --- headers ------------------------------------------------------------------------------------


def _meta_headers() -> dict[str, set[str]]:
    """Headers of the columns an error file adds, in every language (ignored on upload)."""
    found: dict[str, set[str]] = {ERRORS_COLUMN: {ERRORS_COLUMN}, SOURCE_ROW_COLUMN: {"row"}}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            found[ERRORS_COLUMN].add(normalise_header(errors_header()))
            found[SOURCE_ROW_COLUMN].add(normalise_header(source_row_header()))
    return found


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


def _map_header(kind: RowKind, user, sheet: spreadsheets.Sheet) -> dict[int, str]:  # noqa: C901 - a debt (docs/architecture.md)
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
                        "The file has %(count)d rows; at most %(max)d can be filed at once. "
                        "Split it into files of %(max)d rows or fewer."
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


def _unknown_kind_message() -> str:
    return _("This kind of filing is no longer offered. Upload the rows with a current template.")
