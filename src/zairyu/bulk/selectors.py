"""Reads for bulk filing: a user's jobs, one job by id (SEC-1: the uploader only)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from .models import Job, JobRow, RowState


def jobs_of(user) -> QuerySet[Job]:
    """The jobs ``user`` uploaded, newest first (nobody else's, whatever their role)."""
    if user is None or not user.is_authenticated:
        return Job.objects.none()
    return Job.objects.filter(user=user).select_related("user")


def job_for(user, job_id: int) -> Job:
    """The job if ``user`` uploaded it; the same 404 for another's and a missing one."""
    job = jobs_of(user).filter(pk=job_id).first()
    if job is None:
        raise Http404
    return job


def error_rows(job: Job) -> QuerySet[JobRow]:
    return job.rows.filter(state=RowState.ERROR).order_by("row_number")


def accepted_rows(job: Job) -> QuerySet[JobRow]:
    return job.rows.filter(state=RowState.ACCEPTED).order_by("row_number")
