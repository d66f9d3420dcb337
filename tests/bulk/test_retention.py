"""Retention of bulk jobs: the uploaded rows hold personal data, so finished jobs are deleted
after ZAIRYU_BULK_RETENTION_DAYS by the daily housekeeping; what they filed stays."""

import datetime as dt

from zairyu.audit.models import AuditEvent
from zairyu.bulk.models import Job, JobRow, JobState, JobStateChange
from zairyu.bulk.services import bulk_purge
from zairyu.core import clock
from zairyu.core.work import run_housekeeping
from zairyu.filings.models import Filing

from .helpers import (
    SCHOOL_START,
    csv_file,
    start_rows,
    students,
    university,
    upload,
    upload_and_read,
)


def _jobs(user):
    from .helpers import upload_and_process

    cards = students(2)
    done = upload_and_process(user, SCHOOL_START, csv_file(SCHOOL_START, user, start_rows(cards)))
    refused = upload_and_read(user, SCHOOL_START, b"not,a,template\r\n1,2,3\r\n")
    open_job = upload(user, SCHOOL_START, csv_file(SCHOOL_START, user, start_rows(cards)))
    assert (done.state, refused.state, open_job.state) == (
        JobState.DONE,
        JobState.RECEPTION_ERROR,
        JobState.RECEIVED,
    )
    return done, refused, open_job


def test_bk_retention_purges_finished_jobs_after_the_period(settings):
    settings.ZAIRYU_BULK_RETENTION_DAYS = 30
    user, _ = university()
    done, refused, open_job = _jobs(user)
    filings = Filing.objects.count()
    assert filings == 2
    # Within the period nothing goes.
    assert bulk_purge(now=clock.now() + dt.timedelta(days=29)) == 0
    assert Job.objects.count() == 3
    later = clock.now() + dt.timedelta(days=31)
    assert bulk_purge(now=later) == 2
    assert list(Job.objects.values_list("pk", flat=True)) == [open_job.pk]
    assert not JobRow.objects.filter(job_id__in=[done.pk, refused.pk]).exists()
    assert not JobStateChange.objects.filter(job_id__in=[done.pk, refused.pk]).exists()
    assert Filing.objects.count() == filings  # what the rows filed stays
    event = AuditEvent.objects.get(action="bulk.job.purged")
    assert sorted(event.after["jobs"]) == sorted([done.pk, refused.pk])
    assert event.after["retention_days"] == 30
    assert "values" not in str(event.after)


def test_bk_retention_runs_in_the_daily_housekeeping(settings):
    settings.ZAIRYU_BULK_RETENTION_DAYS = 1
    user, _ = university()
    cards = students(1)
    from .helpers import upload_and_process

    upload_and_process(user, SCHOOL_START, csv_file(SCHOOL_START, user, start_rows(cards)))
    with clock.travel(dt.timedelta(days=2)):
        counts = run_housekeeping()
    assert counts["bulk_retention"] == 1
    assert not Job.objects.exists()
