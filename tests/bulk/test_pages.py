"""Bulk filing pages over HTTP (BK-4, BK-6, SEC-1, FMT-8): the kinds offered, template
downloads, upload → job page with progress and errors per row and cell, status JSON, error
file downloads, and only the uploader sees a job."""

import json

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.filings.factories import make_officer, make_organization_account, make_resident
from zairyu.bulk.models import Job, JobState
from zairyu.bulk.services import bulk_process
from zairyu.cards.models import Organization

from .helpers import (
    PROXY_ADDRESS,
    ROSTER,
    SCHOOL_START,
    as_of,
    card_row,
    csv_file,
    days_ago,
    face_row,
    students,
    university,
)


def test_bk2_index_offers_the_kinds_of_the_organization(client):
    user, _ = university()
    client.force_login(user)
    page = client.get(reverse("bulk:index"))
    assert page.status_code == 200
    text = page.content.decode()
    for key in (
        "n_19_17_org_acceptance_start",
        "n_19_17_school_acceptance_start",
        "n_19_17_school_roster",
        PROXY_ADDRESS,
    ):
        assert f'data-kind="{key}"' in text
    company, _ = make_organization_account()
    client.force_login(company)
    text = client.get(reverse("bulk:index")).content.decode()
    assert 'data-kind="n_19_17_org_acceptance_start"' in text
    assert "school_roster" not in text
    assert client.get(reverse("bulk:upload", args=[ROSTER])).status_code == 404
    assert client.get(reverse("bulk:template", args=[ROSTER, "xlsx"])).status_code == 404


def test_sec1_residents_officers_and_visitors_have_no_bulk_pages(client):
    assert client.get(reverse("bulk:index")).status_code == 302  # sign in first
    resident, _card = make_resident()
    client.force_login(resident)
    assert client.get(reverse("bulk:index")).status_code == 403
    client.force_login(make_officer())
    assert client.get(reverse("bulk:index")).status_code in (302, 403)


def test_bk2_template_downloads(client):
    user, _ = university()
    client.force_login(user)
    response = client.get(reverse("bulk:template", args=[SCHOOL_START, "xlsx"]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    response = client.get(reverse("bulk:template", args=[SCHOOL_START, "csv"]))
    assert response.status_code == 200 and response.content.startswith(b"\xef\xbb\xbf")
    assert client.get(reverse("bulk:template", args=[SCHOOL_START, "pdf"])).status_code == 404


def post_file(client, kind, content, name="rows.csv", **options):
    return client.post(
        reverse("bulk:upload", args=[kind]),
        {"file": SimpleUploadedFile(name, content), **options},
    )


def test_bk4_upload_job_page_shows_errors_by_row_and_cell(client):
    user, _ = university()
    cards = students(3)
    rows = [{**face_row(c), "start_date": days_ago(2)} for c in cards]
    rows[2]["birth_date"] = "1999-02-30"
    client.force_login(user)
    response = post_file(client, SCHOOL_START, csv_file(SCHOOL_START, user, rows))
    assert response.status_code == 302
    job = Job.objects.get()
    assert response["Location"] == reverse("bulk:job", args=[job.pk])
    # Tests commit nothing, so the task has not run: the page shows the progress bar, and
    # the file is not read yet (the request only checked and stored it).
    page = client.get(response["Location"]).content.decode()
    assert '<progress id="bulk-progress" max="100" value="0">' in page
    assert "The file is being read" in page
    assert "bulk/progress.js" in page and 'http-equiv="refresh"' in page
    status = json.loads(client.get(reverse("bulk:job_status", args=[job.pk])).content)
    assert status == {
        "state": "received",
        "state_label": "Received",
        "final": False,
        "percent": 0,
        "total": 0,
        "processed": 0,
        "accepted": 0,
        "errors": 0,
    }
    bulk_process(job_id=job.pk)
    page = client.get(response["Location"]).content.decode()
    assert 'value="100"' in page and "progress.js" not in page
    assert '<tr data-row="4">' in page
    assert "Date of birth" in page and "1999-02-30" in page
    assert reverse("bulk:error_file", args=[job.pk, "xlsx"]) in page
    status = json.loads(client.get(reverse("bulk:job_status", args=[job.pk])).content)
    assert status["final"] and (status["accepted"], status["errors"]) == (2, 1)
    download = client.get(reverse("bulk:error_file", args=[job.pk, "csv"]))
    assert download.status_code == 200 and b"1999-02-30" in download.content


def test_bk3_reception_error_shown_with_reasons(client):
    user, _ = university()
    client.force_login(user)
    response = post_file(client, SCHOOL_START, b"%PDF-1.4\x00\x00", "rows.pdf")
    job = Job.objects.get()
    assert job.state == JobState.RECEPTION_ERROR
    page = client.get(response["Location"]).content.decode()
    assert "Reception error" in page and "not an Excel workbook" in page
    assert client.get(reverse("bulk:error_file", args=[job.pk, "xlsx"])).status_code == 404


def test_fmt8_upload_form_errors_name_the_field(client):
    user, _ = university()
    client.force_login(user)
    response = post_file(client, ROSTER, b"", as_of="")
    assert response.status_code == 400
    text = response.content.decode()
    assert "error-summary" in text and "As of: choose one from the list." in text
    response = post_file(client, PROXY_ADDRESS, csv_file(PROXY_ADDRESS, user, []))
    assert response.status_code == 400
    assert "Tick" in response.content.decode()
    assert not Job.objects.exists()


def test_bk1_roster_upload_through_the_page(client):
    user, _ = university()
    cards = students(3)
    client.force_login(user)
    response = post_file(
        client, ROSTER, csv_file(ROSTER, user, [card_row(c) for c in cards]), as_of=as_of()
    )
    assert response.status_code == 302
    job = Job.objects.get()
    bulk_process(job_id=job.pk)
    job.refresh_from_db()
    assert job.accepted_rows == 3


def test_sec1_only_the_uploader_sees_a_job(client):
    user, _ = university()
    job_content = csv_file(
        SCHOOL_START, user, [{**face_row(c), "start_date": days_ago(1)} for c in students(1)]
    )
    client.force_login(user)
    post_file(client, SCHOOL_START, job_content)
    job = Job.objects.get()
    bulk_process(job_id=job.pk)
    urls = [
        reverse("bulk:job", args=[job.pk]),
        reverse("bulk:job_status", args=[job.pk]),
        reverse("bulk:error_file", args=[job.pk, "csv"]),
    ]
    missing = [
        reverse("bulk:job", args=[job.pk + 100]),
        reverse("bulk:job_status", args=[job.pk + 100]),
    ]
    assert client.get(urls[0]).status_code == 200
    # Another account of another organization, and another account of the same kind.
    other, _ = make_organization_account(kind=Organization.Kind.UNIVERSITY, name="別大学")
    client.force_login(other)
    for url in urls + missing:
        assert client.get(url).status_code == 404, url
    resident, _card = make_resident()
    client.force_login(resident)
    for url in urls:
        assert client.get(url).status_code == 404, url
    assert "/bulk/" not in client.get(reverse("accounts:home")).content.decode()
    client.force_login(user)
    assert "/bulk/" in client.get(reverse("accounts:home")).content.decode()
