"""SEC-4, BK-3: hostile spreadsheets. The upload request only checks (size, type by content, the
ZIP inspection) and stores the file; the task reads it with work bounded by the rows and cells
really in the sheet's XML — never by the size its <dimension> claims — and refuses a sheet
beyond the limits (columns, cells) with the reason, shown, mailed and audited like any
reception error. Through /bulk/ and the API."""

from __future__ import annotations

import contextlib
import io
import zipfile

import openpyxl
import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl.worksheet._reader import WorkSheetParser

from zairyu.api.services import api_key_issue
from zairyu.audit.models import AuditEvent
from zairyu.bulk import spreadsheets
from zairyu.bulk.models import Job, JobState
from zairyu.bulk.services import bulk_process
from zairyu.filings.models import Filing
from zairyu.mail.models import Mail

from .helpers import (
    SCHOOL_START,
    csv_file,
    start_rows,
    students,
    university,
    upload,
    upload_and_read,
    xlsx_file,
)


def far_cell_xlsx() -> bytes:
    """The file of the report: about 5 KB, one cell, at XFD1048576 (Excel's last cell). Its
    <dimension> says A1:XFD1048576; openpyxl's read-only iteration padded a million empty
    rows of 100 cells up to it (14–17 s of a web worker)."""
    workbook = openpyxl.Workbook()
    workbook.active["XFD1048576"] = "x"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _stored(job) -> bool:
    return default_storage.exists(f"bulk/uploads/{job.pk}.upload")


@pytest.fixture
def count_cells(monkeypatch):
    """How many cells openpyxl's cell parser converted (the work done per cell)."""
    calls = []
    real = WorkSheetParser.parse_cell

    def counted(self, element):
        calls.append(element.get("r"))
        return real(self, element)

    monkeypatch.setattr(WorkSheetParser, "parse_cell", counted)
    return calls


@pytest.fixture
def no_parsing():
    """Within the block: reading a sheet fails the test (the request must not parse)."""

    @contextlib.contextmanager
    def guard():
        def refuse(*args, **kwargs):
            raise AssertionError("the upload request parsed the sheet")

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(spreadsheets, "read_upload", refuse)
            patch.setattr(spreadsheets, "_read_xlsx", refuse)
            patch.setattr(spreadsheets, "_read_csv", refuse)
            yield

    return guard


def _api_key(user) -> dict:
    _key, text = api_key_issue(user=user, name="学務システム")
    return {"HTTP_AUTHORIZATION": f"Bearer {text}"}


# --- the far cell, over HTTP ---------------------------------------------------------------------


def test_sec4_far_cell_xlsx_refused_with_reason_through_the_page(
    client, no_parsing, count_cells, django_capture_on_commit_callbacks
):
    user, _ = university()
    client.force_login(user)
    content = far_cell_xlsx()
    assert len(content) < 6 * 1024
    with no_parsing(), django_capture_on_commit_callbacks() as queued:
        response = client.post(
            reverse("bulk:upload", args=[SCHOOL_START]),
            {"file": SimpleUploadedFile("far.xlsx", content)},
        )
    assert response.status_code == 302
    job = Job.objects.get()
    # The request created the job and stored the file; nothing was read from the sheet.
    assert (job.state, job.file_format, job.total_rows) == (JobState.RECEIVED, "xlsx", 0)
    assert not job.rows.exists() and _stored(job)
    assert count_cells == []
    page = client.get(response["Location"]).content.decode()
    assert "The file is being read" in page

    # The worker's task (queued on commit) reads the one cell there is, and refuses the file.
    with django_capture_on_commit_callbacks(execute=True):
        for callback in queued:
            callback()
    job.refresh_from_db()
    assert job.state == JobState.RECEPTION_ERROR
    (reason,) = job.reasons
    assert "XFD1048576" in reason and "at most 100 columns" in reason
    assert count_cells == ["XFD1048576"]  # one cell converted, not a million empty rows
    assert not job.rows.exists() and not _stored(job)  # the file is gone with the refusal
    page = client.get(reverse("bulk:job", args=[job.pk])).content.decode()
    assert "Reception error: the whole file was refused" in page and "XFD1048576" in page
    mail = Mail.objects.get(template="bulk_reception_error", to_address=user.email)
    assert "XFD1048576" in mail.body
    event = AuditEvent.objects.get(action="bulk.job.reception_error", object_id=str(job.pk))
    assert event.before == {"state": "received"} and event.after["reasons"] == [reason]


def test_sec4_far_cell_xlsx_refused_with_reason_through_the_api(client, no_parsing, count_cells):
    user, _ = university()
    auth = _api_key(user)
    with no_parsing():
        response = client.post(
            "/api/v1/bulk/jobs",
            {"kind": SCHOOL_START, "file": SimpleUploadedFile("far.xlsx", far_cell_xlsx())},
            **auth,
        )
    assert response.status_code == 201, response.content
    answer = response.json()
    assert (answer["state"], answer["total_rows"], answer["final"]) == ("received", 0, False)
    assert count_cells == []
    assert bulk_process(job_id=answer["id"]) is True  # the worker
    job = client.get(f"/api/v1/bulk/jobs/{answer['id']}", **auth).json()
    assert (job["state"], job["final"]) == ("reception_error", True)
    assert any("XFD1048576" in reason for reason in job["reasons"])
    assert count_cells == ["XFD1048576"]


# --- bounded by what the sheet holds -------------------------------------------------------------


def test_sec4_dimension_to_the_last_cell_costs_only_the_cells_present(client, count_cells):
    """A real template whose sheet also carries a formatted, empty cell at XFD1048576 (its
    <dimension> then claims the whole grid): the rows are filed, and only the cells in the
    XML were read."""
    user, _ = university()
    cards = students(2)
    workbook = openpyxl.load_workbook(io.BytesIO(xlsx_file(SCHOOL_START, user, start_rows(cards))))
    workbook.active["XFD1048576"].number_format = "@"  # formatted, no value
    out = io.BytesIO()
    workbook.save(out)
    content = out.getvalue()
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert b'<dimension ref="A1:XFD1048576"/>' in archive.read("xl/worksheets/sheet1.xml")

    sheet = spreadsheets.read_upload(content)
    columns = len(sheet.header)
    assert [number for number, _cells in sheet.rows] == [2, 3]
    assert sheet.cells_read == 3 + 3 * columns + 2  # <row>s and <c>s: 3 rows and the far cell
    count_cells.clear()

    client.force_login(user)
    response = client.post(
        reverse("bulk:upload", args=[SCHOOL_START]),
        {"file": SimpleUploadedFile("rows.xlsx", content)},
    )
    assert response.status_code == 302
    job = Job.objects.get()
    assert bulk_process(job_id=job.pk) is True
    job.refresh_from_db()
    assert (job.state, job.total_rows, job.accepted_rows) == (JobState.DONE, 2, 2)
    assert len(count_cells) == 3 * columns  # the empty far cell needs no converting


def test_sec4_sheet_over_the_cell_limit_refused_with_reason(monkeypatch):
    monkeypatch.setattr(spreadsheets, "MAX_CELLS", 40)
    user, _ = university()
    content = xlsx_file(SCHOOL_START, user, start_rows(students(5)))  # 6 rows of 8 cells
    job = upload_and_read(user, SCHOOL_START, content, "big.xlsx")
    assert job.state == JobState.RECEPTION_ERROR
    assert "more than 40 rows and cells in use" in job.reasons[0]
    assert not job.rows.exists() and not Filing.objects.exists()


def test_sec4_csv_value_beyond_the_last_column_refused_with_the_cell():
    user, _ = university()
    lines = csv_file(SCHOOL_START, user, start_rows(students(1))).decode("utf-8-sig").splitlines()
    lines[1] += "," * (100 - lines[1].count(",") - 1) + ",note"  # column 101 (CW) of row 2
    job = upload_and_read(user, SCHOOL_START, "\r\n".join(lines).encode("utf-8"))
    assert job.state == JobState.RECEPTION_ERROR
    assert "cell CW2" in job.reasons[0]
    # Empty cells out there are no value: a CSV with trailing commas is read as before.
    lines[1] = lines[1].removesuffix("note")
    job = upload_and_read(user, SCHOOL_START, "\r\n".join(lines).encode("utf-8"))
    assert (job.state, job.total_rows) == (JobState.PROCESSING, 1)


def _with_sheet(content: bytes, sheet_xml: bytes) -> bytes:
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(content)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for name in source.namelist():
            data = source.read(name)
            target.writestr(name, sheet_xml if name == "xl/worksheets/sheet1.xml" else data)
    return out.getvalue()


@pytest.mark.parametrize(
    "rows",
    [
        b'<row r="5"><c r="A5" t="inlineStr"><is><t>a</t></is></c></row>'
        b'<row r="3"><c r="A3" t="inlineStr"><is><t>b</t></is></c></row>',
        b'<row r="2000000"><c r="A2000000" t="inlineStr"><is><t>a</t></is></c></row>',
        b'<row r="x"><c t="inlineStr"><is><t>a</t></is></c></row>',
    ],
    ids=["rows-out-of-order", "beyond-excels-last-row", "not-a-number"],
)
def test_sec4_damaged_row_numbers_are_unreadable_not_a_crash(rows):
    user, _ = university()
    sheet = (
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b"<sheetData>" + rows + b"</sheetData></worksheet>"
    )
    buffer = io.BytesIO()
    openpyxl.Workbook().save(buffer)
    job = upload_and_read(user, SCHOOL_START, _with_sheet(buffer.getvalue(), sheet), "d.xlsx")
    assert job.state == JobState.RECEPTION_ERROR
    assert "could not be read" in job.reasons[0]


def test_bk2_cells_without_a_reference_keep_their_columns():
    """Cells may omit their reference ("r"): each is the next column, after empty cells too."""

    def text(value: str) -> bytes:
        return b'<c t="inlineStr"><is><t>' + value.encode() + b"</t></is></c>"

    sheet = (
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b"<sheetData>"
        b"<row>" + text("a") + b"<c/>" + text("c") + b"</row>"
        b'<row><c r="B2" s="1"/>' + text("c2") + b'<c r="E2" s="1"/><c/>' + text("g2") + b"</row>"
        b"</sheetData></worksheet>"
    )
    buffer = io.BytesIO()
    openpyxl.Workbook().save(buffer)
    read = spreadsheets.read_upload(_with_sheet(buffer.getvalue(), sheet))
    assert read.header == ["a", "", "c"]
    assert read.rows == [(2, ["", "", "c2", "", "", "", "g2"])]


def test_sec4_stored_file_lost_before_the_worker_is_a_reception_error():
    user, _ = university()
    job = upload(user, SCHOOL_START, csv_file(SCHOOL_START, user, start_rows(students(1))))
    default_storage.delete(f"bulk/uploads/{job.pk}.upload")
    assert bulk_process(job_id=job.pk) is True
    job.refresh_from_db()
    assert job.state == JobState.RECEPTION_ERROR
    assert "Upload the file again" in job.reasons[0]
    assert Mail.objects.filter(template="bulk_reception_error").count() == 1


# --- ordinary files still go through, by the page and the API ----------------------------------


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
@pytest.mark.parametrize("route", ["page", "api"])
def test_sec4_csv_and_xlsx_still_filed_and_never_parsed_in_the_request(
    client, no_parsing, route, file_format
):
    user, _ = university()
    cards = students(3)
    build = csv_file if file_format == "csv" else xlsx_file
    upload_file = SimpleUploadedFile(
        f"rows.{file_format}", build(SCHOOL_START, user, start_rows(cards))
    )
    with no_parsing():
        if route == "page":
            client.force_login(user)
            response = client.post(
                reverse("bulk:upload", args=[SCHOOL_START]), {"file": upload_file}
            )
            assert response.status_code == 302
        else:
            response = client.post(
                "/api/v1/bulk/jobs",
                {"kind": SCHOOL_START, "file": upload_file},
                **_api_key(user),
            )
            assert response.status_code == 201
    job = Job.objects.get()
    assert (job.state, job.file_format, job.total_rows) == (JobState.RECEIVED, file_format, 0)
    assert bulk_process(job_id=job.pk) is True
    job.refresh_from_db()
    assert (job.state, job.total_rows, job.accepted_rows) == (JobState.DONE, 3, 3)
    assert Filing.objects.count() == 3
    assert job.changes.count() == 3  # received → processing → done


def test_sec3_stored_upload_waits_encrypted(settings, tmp_path):
    """The file between the upload request and the worker holds card numbers: encrypted."""
    from django.core.files.storage import default_storage

    from zairyu.bulk import services
    from zairyu.bulk.models import Job
    from zairyu.core import crypto

    job = Job(pk=987654)
    services._upload_store(job, b"ZR10000001AA,WANG XIAOMING,1991-06-12")
    with default_storage.open(services._upload_name(job), "rb") as stored:
        raw = stored.read()
    assert b"ZR10000001AA" not in raw and b"1991-06-12" not in raw
    assert raw.startswith(b"zr1.")
    assert services._upload_read(job) == b"ZR10000001AA,WANG XIAOMING,1991-06-12"
    with default_storage.open(services._upload_name(job), "wb") as stored:
        stored.write(b"plain text")
    assert services._upload_read(job) is None
    services._upload_discard(job)
    assert crypto.decrypt_bytes(crypto.encrypt_bytes(b"x", context="c"), context="c") == b"x"
