"""Background processing (BK-3, BK-6): batches in one transaction each, the registry matched
in one query per batch, a killed worker resumed by the sweeper without duplicates, the state
table, the mail and the audit trail."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from zairyu.audit.models import AuditEvent
from zairyu.bulk.models import JobState, RowState
from zairyu.bulk.services import JobStateError, bulk_process, bulk_sweep, transition
from zairyu.core import clock
from zairyu.core.work import run_sweepers
from zairyu.filings import services as filing_services
from zairyu.filings.models import Filing
from zairyu.mail.models import Mail

from .helpers import (
    ROSTER,
    SCHOOL_START,
    as_of,
    card_row,
    csv_file,
    days_ago,
    face_row,
    students,
    university,
    upload,
    upload_and_process,
    upload_and_read,
)


def start_rows(cards):
    return [{**face_row(c), "start_date": days_ago(3)} for c in cards]


class WorkerDied(Exception):
    pass


def die_after(monkeypatch, rows: int):
    """Make the service raise (as a killed worker would stop) on its ``rows``+1-th call, after
    it created ``rows`` filings in this run."""
    real = filing_services.filing_submit_organization
    calls = {"n": 0}

    def dying(**kwargs):
        calls["n"] += 1
        if calls["n"] > rows:
            raise WorkerDied
        return real(**kwargs)

    monkeypatch.setattr(filing_services, "filing_submit_organization", dying)
    return calls


def test_bk6_killed_worker_resumes_without_duplicates(settings, monkeypatch):
    settings.ZAIRYU_BULK_BATCH_ROWS = 10
    user, _ = university()
    cards = students(35)
    job = upload(user, SCHOOL_START, csv_file(SCHOOL_START, user, start_rows(cards)))
    die_after(monkeypatch, 15)  # dies in the middle of the second batch
    with pytest.raises(WorkerDied):
        bulk_process(job_id=job.pk)
    job.refresh_from_db()
    # The first batch is committed with its rows marked; the second rolled back entirely.
    assert job.state == JobState.PROCESSING
    assert (job.processed_rows, job.accepted_rows) == (10, 10)
    assert Filing.objects.count() == 10
    assert job.rows.filter(state=RowState.PENDING).count() == 25
    monkeypatch.undo()

    # A duplicate message while the dead worker's lease runs: nothing happens.
    assert bulk_process(job_id=job.pk) is False
    assert bulk_sweep() == 0
    # After the lease, the sweeper (run from beat) hands the job out again; eager tasks run it.
    with clock.travel(dt.timedelta(seconds=settings.ZAIRYU_WORK_LEASE_SECONDS + 1)):
        assert bulk_sweep() == 1
    job.refresh_from_db()
    assert job.state == JobState.DONE
    assert (job.processed_rows, job.accepted_rows, job.error_rows) == (35, 35, 0)
    assert job.attempts == 2
    assert Filing.objects.count() == 35
    assert Filing.objects.values("card").distinct().count() == 35
    object_ids = list(job.rows.values_list("object_id", flat=True))
    assert len(set(object_ids)) == 35
    assert set(object_ids) == {str(pk) for pk in Filing.objects.values_list("pk", flat=True)}
    # One "done" mail, not one per attempt.
    assert Mail.objects.filter(template="bulk_done", related_id=str(job.pk)).count() == 1


def test_bk6_rerun_of_a_finished_job_does_nothing(settings):
    user, _ = university()
    cards = students(3)
    job = upload_and_process(user, SCHOOL_START, csv_file(SCHOOL_START, user, start_rows(cards)))
    assert job.state == JobState.DONE
    assert bulk_process(job_id=job.pk) is False
    with clock.travel(dt.timedelta(days=1)):
        assert bulk_sweep() == 0
    assert Filing.objects.count() == 3


def test_bk6_a_row_files_once_even_if_its_batch_is_replayed(settings):
    """The row's token is the filing's: filing again with it returns the same filing."""
    user, _ = university()
    cards = students(2)
    job = upload_and_process(user, SCHOOL_START, csv_file(SCHOOL_START, user, start_rows(cards)))
    row = job.rows.order_by("row_number").first()
    from zairyu.bulk.kinds import get_kind

    kind = get_kind(job.kind)
    prepared = kind.validate(job, [row])
    again = kind.submit(job, prepared)
    assert str(again[0].obj.pk) == row.object_id
    assert Filing.objects.count() == 2


def test_bk6_sweeper_registered_and_picks_up_a_lost_message(settings, monkeypatch):
    user, _ = university()
    cards = students(2)
    job = upload(user, SCHOOL_START, csv_file(SCHOOL_START, user, start_rows(cards)))
    assert job.state == JobState.RECEIVED  # its message was never delivered (tests: no commit)
    with clock.travel(dt.timedelta(seconds=settings.ZAIRYU_WORK_LEASE_SECONDS + 1)):
        counts = run_sweepers()
    assert counts["bulk"] == 1
    job.refresh_from_db()
    assert job.state == JobState.DONE and job.accepted_rows == 2


def test_bk6_state_table():
    user, _ = university()
    job = upload(user, SCHOOL_START, csv_file(SCHOOL_START, user, start_rows(students(1))))
    with pytest.raises(JobStateError):
        transition(job, to=JobState.DONE)  # received → done skips processing
    bulk_process(job_id=job.pk)
    job.refresh_from_db()
    with pytest.raises(JobStateError):
        transition(job, to=JobState.PROCESSING)
    history = list(job.changes.values_list("from_state", "to_state"))
    assert history == [("", "received"), ("received", "processing"), ("processing", "done")]


def test_bk6_done_mail_and_audit_in_english_and_japanese():
    user, _ = university(language="en")
    cards = students(2)
    rows = start_rows(cards)
    rows[1]["sex"] = ""
    job = upload_and_process(user, SCHOOL_START, csv_file(SCHOOL_START, user, rows))
    done = Mail.objects.get(template="bulk_done", to_address=user.email)
    assert job.number in done.subject
    assert "1 accepted, 1 with errors" in done.body
    assert f"/bulk/jobs/{job.pk}/" in done.body
    actions = list(
        AuditEvent.objects.filter(object_type="bulk.job", object_id=str(job.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["bulk.job.received", "bulk.job.processing", "bulk.job.done"]
    outcome = AuditEvent.objects.get(action="bulk.job.done", object_id=str(job.pk))
    assert outcome.after["accepted"] == 1 and outcome.after["errors"] == 1

    user_ja, _ = university(language="ja")
    job = upload_and_read(user_ja, SCHOOL_START, b"not,a,template\n1,2,3\n")
    refused = Mail.objects.get(template="bulk_reception_error", to_address=user_ja.email)
    assert "受付エラー" in refused.subject and job.number in refused.subject
    assert job.reasons[0] in refused.body
    assert AuditEvent.objects.filter(
        action="bulk.job.reception_error", object_id=str(job.pk)
    ).exists()


def test_bk6_row_messages_in_the_uploaders_language():
    from django.utils import translation

    user, _ = university(language="ja")
    cards = students(1)
    rows = start_rows(cards)
    rows[0]["start_date"] = days_ago(-5)
    with translation.override("ja"):
        job = upload(user, SCHOOL_START, csv_file(SCHOOL_START, user, rows, language="ja"))
    bulk_process(job_id=job.pk)
    row = job.rows.get()
    assert row.state == RowState.ERROR
    assert not row.errors[0]["message"].isascii()


@pytest.mark.django_db(transaction=True)
def test_bk3_registry_matched_in_one_query_per_batch(
    settings, monkeypatch, django_assert_max_num_queries
):
    """300 rows in batches of 100: the card registry is read once per batch (not per row), and
    each batch is one transaction. Outside a test transaction, as in a worker, so reference
    data come from the per-process cache."""
    from zairyu.bulk import tasks as bulk_tasks
    from zairyu.filings import tasks as filing_tasks
    from zairyu.mail import tasks as mail_tasks

    _load_reference()
    settings.ZAIRYU_BULK_BATCH_ROWS = 100
    user, _ = university()
    cards = students(300)
    # The job's own task is run by hand below; registration runs in other workers.
    registrations = []
    monkeypatch.setattr(bulk_tasks.bulk_process_task, "delay", lambda *a, **k: None)
    monkeypatch.setattr(filing_tasks.filing_register_task, "delay", lambda *a, **k: None)
    monkeypatch.setattr(
        bulk_tasks.bulk_register_filings_task, "delay", lambda ids: registrations.append(ids)
    )
    monkeypatch.setattr(mail_tasks.send_mail_task, "delay", lambda *a, **k: None)
    job = upload(user, SCHOOL_START, csv_file(SCHOOL_START, user, start_rows(cards)))
    assert job.state == JobState.RECEIVED
    with CaptureQueriesContext(connection) as queries:
        assert bulk_process(job_id=job.pk) is True
    job.refresh_from_db()
    assert job.accepted_rows == 300
    sql = [q["sql"] for q in queries.captured_queries]
    card_reads = [q for q in sql if q.lstrip().startswith("SELECT") and "cards_residencecard" in q]
    assert len(card_reads) == 3, card_reads
    assert len([q for q in sql if 'FROM "bulk_jobrow"' in q and "SELECT" in q[:10]]) == 4
    # No statement per row: each batch writes its filings, their history and audit rows in
    # one INSERT each (FilingBatch) and marks its accepted rows in two UPDATEs; no mail per
    # filing (the job mails one summary), no closure-day query (reference cache reused in the
    # batch), no task per filing.
    assert len(sql) < 100, len(sql)
    # One per batch on PostgreSQL (the audit trail also gets the job's processing and done
    # events); SQLite splits an INSERT at its limit of 999 parameters (a filing has ~30
    # columns: 4 INSERTs per 100 filings).
    expected = {"filings_filing": 3, "filings_filingstatechange": 3, "audit_auditevent": 5}
    for table, most in expected.items():
        inserts = [q for q in sql if q.startswith(f'INSERT INTO "{table}"')]
        assert len(inserts) <= (most if connection.vendor == "postgresql" else 4 * most), table
    row_updates = [q for q in sql if q.startswith('UPDATE "bulk_jobrow"')]
    assert len(row_updates) == 6, row_updates
    mails = [q for q in sql if q.startswith("INSERT") and '"mail_mail"' in q[:40]]
    assert len(mails) == 1  # the job's summary (bulk_done), none per filing
    assert len([q for q in sql if "reference_administrativeclosure" in q]) <= 1
    # One registration task per batch, carrying the batch's filings.
    assert [len(ids) for ids in registrations] == [100, 100, 100]
    assert sorted(i for ids in registrations for i in ids) == sorted(
        Filing.objects.values_list("pk", flat=True)
    )
    with django_assert_max_num_queries(3):
        assert bulk_process(job_id=job.pk) is False  # finished: nothing to claim


def _load_reference():
    import importlib

    from django.apps import apps

    from zairyu.reference import cache
    from zairyu.reference.loader import load

    base = importlib.import_module("zairyu.reference.migrations.0002_load_reference_data")
    for model_name, file_name in base.FILES:
        load(apps, model_name, file_name)
    events = importlib.import_module(
        "zairyu.reference.migrations.0004_load_procedures_fees_events_permissions"
    )
    events.forwards(apps, None)
    cache.clear()


def test_bk1_roster_of_300_is_one_filing():
    user, _ = university()
    cards = students(300)
    job = upload_and_process(
        user, ROSTER, csv_file(ROSTER, user, [card_row(c) for c in cards]), as_of=as_of()
    )
    assert (job.accepted_rows, job.error_rows) == (300, 0)
    filing = Filing.objects.get()
    assert len(filing.content["roster"]) == 300
    assert set(job.rows.values_list("object_id", flat=True)) == {str(filing.pk)}
