"""Bulk filing (BK-1..BK-6): one uploaded file is one ``Job``; each data row one ``JobRow``.

**Lifecycle.** ``TRANSITIONS`` is the one table of allowed moves, ``JOB`` its lifecycle
(``zairyu.core.lifecycle``) and ``services.transition`` the one function that applies them
through it (it locks the row, appends a ``JobStateChange``, writes the audit event and queues
the mail in one transaction)::

    (new) ──upload──▶ 受付 received ──task──▶ 処理中 processing ──▶ 完了 done
      │                    │ (the task reads the file)
      └────────────────────┴──▶ 受付エラー reception_error (wrong template, unreadable file,
                       too many rows, a missing column: the whole file is refused, BK-3)

The upload request makes only the cheap checks (size, type, ZIP inspection); the task reads
the stored file and either creates the rows (received → processing) or refuses it.

**Background work.** The row is the truth (``zairyu.core.work``): the task claims the job with
a lease and works through its pending rows in batches, each batch in one transaction that
creates the filings *and* marks their rows done. A worker that dies mid-job leaves the batch
it was in rolled back and the job leased; once the lease runs out the sweeper hands the job
out again and the next worker carries on with the rows still pending. A row's number is unique
per job, and each row passes its own token to the service, so no row ever files twice.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from zairyu.core.encrypted import EncryptedJSONField
from zairyu.core.lifecycle import IllegalTransition, Lifecycle, StateChange


class JobState(models.TextChoices):
    RECEIVED = "received", _("Received")
    PROCESSING = "processing", _("Processing")
    DONE = "done", _("Done")
    RECEPTION_ERROR = "reception_error", _("Reception error")


NEW = ""

TRANSITIONS: dict[str, frozenset[str]] = {
    NEW: frozenset({JobState.RECEIVED, JobState.RECEPTION_ERROR}),
    # The worker reads the stored file: a reception error found then ends the job.
    JobState.RECEIVED: frozenset({JobState.PROCESSING, JobState.RECEPTION_ERROR}),
    JobState.PROCESSING: frozenset({JobState.DONE}),
    JobState.DONE: frozenset(),
    JobState.RECEPTION_ERROR: frozenset(),
}


class JobStateError(IllegalTransition):
    """A transition the state table does not allow."""


JOB = Lifecycle("bulk job", TRANSITIONS, error=JobStateError)

FINAL = frozenset({JobState.DONE, JobState.RECEPTION_ERROR})


class FileFormat(models.TextChoices):
    XLSX = "xlsx", _("Excel workbook (.xlsx)")
    CSV = "csv", _("CSV (.csv)")


class Job(models.Model):
    """One uploaded file of one row kind (``kinds.RowKind``)."""

    State = JobState
    TRANSITIONS = TRANSITIONS

    kind = models.CharField(_("kind"), max_length=80)
    state = models.CharField(
        _("state"), max_length=20, choices=JobState.choices, default=JobState.RECEIVED
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        related_name="bulk_jobs",
    )
    # Options that apply to every row (e.g. the roster's reference date, a declaration).
    options = models.JSONField(_("options"), default=dict, blank=True)
    file_name = models.CharField(_("file name"), max_length=200, blank=True)
    file_format = models.CharField(_("file format"), max_length=8, choices=FileFormat.choices)
    encoding = models.CharField(_("encoding"), max_length=20, blank=True)
    # The uploader's language at upload: messages of the rows and the mails use it.
    language = models.CharField(_("language"), max_length=10, default="ja")
    # 受付エラー: why the whole file was refused (messages in ``language``).
    reasons = models.JSONField(_("reasons"), default=list, blank=True)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("rows processed"), default=0)
    accepted_rows = models.PositiveIntegerField(_("rows accepted"), default=0)
    error_rows = models.PositiveIntegerField(_("rows with errors"), default=0)
    created_at = models.DateTimeField(_("uploaded at"))
    state_changed_at = models.DateTimeField(_("state changed at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # Background work (zairyu.core.work): the claim's lease and the attempts so far; when the
    # sweeper last woke it (core.work.wake_due; the first wake-up follows the commit of
    # ``state_changed_at``).
    leased_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    woken_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("bulk filing")
        verbose_name_plural = _("bulk filings")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="bulk_job_user_idx"),
            models.Index(
                fields=["leased_until"],
                condition=Q(state__in=["received", "processing"]),
                name="bulk_job_open_idx",
            ),
            # The daily purge (ZAIRYU_BULK_RETENTION_DAYS): finished jobs by end time.
            models.Index(
                fields=["finished_at"],
                condition=Q(state__in=["done", "reception_error"]),
                name="bulk_job_finished_idx",
            ),
        ]
        constraints = [
            JOB.constraint("bulk_job_state_known"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"B{self.pk:08d}" if self.pk else "B—"

    @property
    def is_final(self) -> bool:
        return self.state in FINAL

    @property
    def percent(self) -> int:
        if self.state in FINAL:
            return 100
        if not self.total_rows:
            return 0
        return int(100 * self.processed_rows / self.total_rows)


class RowState(models.TextChoices):
    PENDING = "pending", _("Waiting")
    ACCEPTED = "accepted", _("Accepted")
    ERROR = "error", _("Error")


class JobRow(models.Model):
    """One data row of a job, as uploaded, and what became of it."""

    State = RowState

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="rows")
    # The row's number in the uploaded sheet (the header is row 1), unique per job.
    row_number = models.PositiveIntegerField(_("row"))
    # Passed to the service as the filing's token: a row files at most once.
    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # The cells as uploaded, by column name (text; dates as YYYY-MM-DD).
    values = EncryptedJSONField(_("values"), default=dict)
    state = models.CharField(
        _("state"), max_length=10, choices=RowState.choices, default=RowState.PENDING
    )
    # [{"column": name or "", "code": ..., "message": ...}] in the job's language.
    errors = models.JSONField(_("errors"), default=list, blank=True)
    # What the row created (a filing, an application …), whatever its model.
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=40, blank=True)
    object_number = models.CharField(_("number"), max_length=40, blank=True)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("bulk filing row")
        verbose_name_plural = _("bulk filing rows")
        ordering = ["job", "row_number"]
        constraints = [
            models.UniqueConstraint(fields=["job", "row_number"], name="bulk_row_number_unique"),
            models.CheckConstraint(
                condition=Q(state__in=["pending", "accepted", "error"]),
                name="bulk_row_state_known",
            ),
        ]
        indexes = [
            models.Index(fields=["job", "state", "row_number"], name="bulk_row_state_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.job_id}:{self.row_number}"

    def errors_for(self, column: str) -> list[str]:
        return [e["message"] for e in self.errors if e.get("column") == column]

    @property
    def row_errors(self) -> list[str]:
        return [e["message"] for e in self.errors if not e.get("column")]


class JobStateChange(StateChange):
    """Append-only history of a job's states."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="changes")
    to_state = models.CharField(_("to"), max_length=20, choices=JobState.choices)

    record_field = "job"

    class Meta(StateChange.Meta):
        pass
