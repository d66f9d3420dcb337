"""Issue 17: the bulk sweeper wakes a job only when its last wake-up is older than the grace
(``ZAIRYU_WAKE_GRACE_SECONDS``), and never a job a worker holds."""

import datetime as dt

import pytest

from zairyu.bulk.models import Job, JobState
from zairyu.bulk.services import bulk_sweep
from zairyu.bulk.tasks import bulk_process_task
from zairyu.core import clock

from .helpers import SCHOOL_START, csv_file, days_ago, face_row, students, university, upload


@pytest.fixture
def woken(monkeypatch) -> list[int]:
    published: list[int] = []
    monkeypatch.setattr(bulk_process_task, "delay", published.append)
    return published


def received() -> Job:
    user, _ = university()
    rows = [{**face_row(c), "start_date": days_ago(3)} for c in students(1)]
    job = upload(user, SCHOOL_START, csv_file(SCHOOL_START, user, rows))
    assert job.state == JobState.RECEIVED  # its wake-up follows the commit: "queued"
    return job


def test_issue17_bulk_sweep_after_a_sweep_wakes_nothing_then_again_after_the_grace(woken, settings):
    job = received()
    grace = dt.timedelta(seconds=settings.ZAIRYU_WAKE_GRACE_SECONDS)
    assert bulk_sweep() == 0
    with clock.travel(grace + dt.timedelta(seconds=1)):
        assert bulk_sweep() == 1
        assert bulk_sweep() == 0
    with clock.travel(2 * grace + dt.timedelta(seconds=2)):
        assert bulk_sweep() == 1
    assert woken == [job.pk, job.pk]


def test_issue17_a_claimed_job_is_not_woken(woken):
    job = received()
    Job.objects.filter(pk=job.pk).update(
        leased_until=clock.now() + dt.timedelta(hours=1), attempts=1
    )
    with clock.travel(dt.timedelta(minutes=50)):
        assert bulk_sweep() == 0
    with clock.travel(dt.timedelta(minutes=61)):
        assert bulk_sweep() == 1
    assert woken == [job.pk]
