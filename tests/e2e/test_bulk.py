"""Bulk filing in a real browser (BK-1, BK-6): a university signs in, downloads nothing, uploads
a roster of 300 students (Art. 19-17) as CSV, and watches the job page's progress bar — fed
by the static script polling status.json — climb and reach done; the result page says every
row was accepted and the roster is one notification of 300 students.

The job's task runs in a thread of the test process (as a worker would, after the upload
committed), a little slowed down so that the page opens before the job is done."""

import contextlib
import importlib
import threading
import time

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.apps import apps
from django.db import connection
from playwright.sync_api import Error as PlaywrightError

from tests.bulk.helpers import ROSTER, card_row, csv_file, students
from tests.e2e.accounts import sign_in_in_english, university_account
from zairyu.bulk import services as bulk_services
from zairyu.bulk import tasks as bulk_tasks
from zairyu.bulk.models import Job, JobState
from zairyu.filings import tasks as filing_tasks
from zairyu.filings.models import Filing
from zairyu.reference import cache
from zairyu.reference.loader import load

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def reference_data(transactional_db):
    """The reference rows an earlier transactional test's flush may have removed."""
    base = importlib.import_module("zairyu.reference.migrations.0002_load_reference_data")
    for model_name, file_name in base.FILES:
        load(apps, model_name, file_name)
    events = importlib.import_module(
        "zairyu.reference.migrations.0004_load_procedures_fees_events_permissions"
    )
    events.forwards(apps, None)
    cache.clear()


def no_axe_violations(page) -> None:
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


@pytest.fixture
def worker(monkeypatch, settings):
    """Run each queued bulk job in a background thread, pausing between batches."""
    settings.ZAIRYU_BULK_BATCH_ROWS = 50
    threads: list[threading.Thread] = []
    real_batch = bulk_services._run_batch

    def slow_batch(*args, **kwargs):
        time.sleep(0.5)
        return real_batch(*args, **kwargs)

    def run(job_id):
        try:
            bulk_services.bulk_process(job_id=job_id)
        finally:
            connection.close()

    def delay(job_id):
        thread = threading.Thread(target=run, args=(job_id,), daemon=True)
        threads.append(thread)
        thread.start()

    monkeypatch.setattr(bulk_services, "_run_batch", slow_batch)
    monkeypatch.setattr(bulk_tasks.bulk_process_task, "delay", delay)
    # Registration of each filing is other workers' business (tests/e2e/test_service_n.py).
    monkeypatch.setattr(filing_tasks.filing_register_task, "delay", lambda *a, **k: None)
    yield threads
    for thread in threads:
        thread.join(60)


def test_bk1_bk6_university_uploads_300_student_roster_and_sees_progress(live_server, page, worker):
    user = university_account("Houmu-Univ01")
    cards = students(300)
    content = csv_file(ROSTER, user, [card_row(c) for c in cards], language="ja")

    sign_in_in_english(page, live_server, user)

    # My page → bulk filing → the roster's upload page.
    page.goto(live_server.url + "/accounts/")
    page.get_by_role("link", name="Bulk filing").first.click()
    page.wait_for_load_state()
    assert page.locator(f"[data-kind='{ROSTER}']").count() == 1
    page.locator(f"[data-kind='{ROSTER}']").get_by_role("link", name="Upload a file").click()
    page.wait_for_load_state()
    no_axe_violations(page)
    page.locator("#id_as_of").select_option(index=1)
    page.set_input_files(
        "#id_file",
        files=[{"name": "roster.csv", "mimeType": "text/csv", "buffer": content}],
    )
    polls: list[str] = []
    page.on("request", lambda r: polls.append(r.url) if "status.json" in r.url else None)
    page.get_by_role("button", name="Upload and file").click()
    page.wait_for_load_state()
    job = Job.objects.get()
    assert page.url.endswith(f"/bulk/jobs/{job.pk}/")

    # The page polls while the worker files, then reloads itself and shows the result.
    seen: list[float] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        bar = page.locator("#bulk-progress")
        with contextlib.suppress(PlaywrightError):  # the page is reloading
            seen.append(float(bar.get_attribute("value", timeout=2000)))
        if page.locator("text=Every row was accepted").count():
            break
        time.sleep(0.2)
    assert page.locator("text=Every row was accepted").count() == 1
    assert polls, "the page did not poll status.json"
    # A roster is one notification, filed in one transaction: the bar goes from where it was
    # when the page opened to done, never backwards.
    assert seen and seen[0] < 100 and seen == sorted(seen), seen
    assert page.locator("#bulk-progress").get_attribute("value") == "100"
    assert page.locator("[data-bulk-state]").inner_text() == "Done"
    assert "300 / 300" in page.locator(".bulk-counts").inner_text()

    no_axe_violations(page)
    job.refresh_from_db()
    assert job.state == JobState.DONE and job.accepted_rows == 300
    roster = Filing.objects.get()
    assert len(roster.content["roster"]) == 300
