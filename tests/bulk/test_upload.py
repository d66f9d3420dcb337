"""Uploads of bulk files (BK-1..BK-3, SEC-4, FMT-8): row limits, encodings, reception errors
that refuse the whole file, row errors that affect only their rows."""

import io
import zipfile

import openpyxl
import pytest
from django.core.exceptions import ValidationError

from tests.filings.factories import make_organization_account, make_resident
from zairyu.bulk.models import Job, JobRow, JobState, RowState
from zairyu.cards.models import Organization
from zairyu.filings.models import FiledAs, Filing

from .helpers import (
    PROXY_ADDRESS,
    ROSTER,
    SCHOOL_END,
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
    xlsx_file,
)


def start_rows(cards):
    return [{**face_row(c), "start_date": days_ago(3)} for c in cards]


def fake_rows(count: int):
    return [
        {
            "number": f"ZZ{n:08d}ZZ",
            "roman_name": "NOBODY HERE",
            "nationality": "CHN",
            "birth_date": "2000-01-01",
            "sex": "M",
            "prefecture": "13",
            "address": "千代田区",
            "start_date": days_ago(1),
        }
        for n in range(count)
    ]


def test_bk1_300_rows_accepted():
    user, _ = university()
    cards = students(300)
    job = upload_and_process(user, SCHOOL_START, csv_file(SCHOOL_START, user, start_rows(cards)))
    assert job.state == JobState.DONE
    assert (job.total_rows, job.accepted_rows, job.error_rows) == (300, 300, 0)
    filings = Filing.objects.filter(organization__isnull=False, filed_as=FiledAs.ORGANIZATION)
    assert filings.count() == 300
    assert set(filings.values_list("card__number", flat=True)) == {c.number for c in cards}
    rows = list(job.rows.order_by("row_number"))
    assert [r.row_number for r in rows] == list(range(2, 302))
    assert {r.object_id for r in rows} == {str(pk) for pk in filings.values_list("pk", flat=True)}


def test_bk1_301_rows_refused_with_the_reason():
    user, _ = university()
    job = upload_and_read(user, SCHOOL_START, csv_file(SCHOOL_START, user, fake_rows(301)))
    assert job.state == JobState.RECEPTION_ERROR
    assert "301 rows" in job.reasons[0] and "at most 300" in job.reasons[0]
    assert not JobRow.objects.filter(job=job).exists()
    assert not Filing.objects.exists()


def test_bk1_blank_rows_do_not_count():
    user, _ = university()
    content = csv_file(SCHOOL_START, user, fake_rows(300) + [{}] * 5)
    job = upload_and_read(user, SCHOOL_START, content)
    assert job.state == JobState.PROCESSING and job.total_rows == 300


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "cp932"])
def test_bk2_csv_encodings_read(encoding):
    """UTF-8 with and without BOM and Shift_JIS/CP932 (what Japanese Excel writes); Japanese
    headers and a Japanese address survive."""
    user, _ = university()
    cards = students(2)
    content = csv_file(SCHOOL_START, user, start_rows(cards), encoding=encoding, language="ja")
    if encoding == "cp932":
        with pytest.raises(UnicodeDecodeError):
            content.decode("utf-8")
    job = upload_and_process(user, SCHOOL_START, content)
    assert job.state == JobState.DONE, job.reasons
    assert job.accepted_rows == 2
    assert job.encoding == encoding
    filing = Filing.objects.order_by("pk").first()
    assert filing.content["resident"]["address"].endswith("千代田区霞が関１−１−１")


def test_bk2_xlsx_read_with_excel_dates():
    user, _ = university()
    cards = students(3)
    job = upload_and_process(
        user, SCHOOL_START, xlsx_file(SCHOOL_START, user, start_rows(cards)), "rows.xlsx"
    )
    assert job.state == JobState.DONE, job.reasons
    assert job.file_format == "xlsx"
    assert job.accepted_rows == 3


def test_bk2_type_by_content_not_name():
    """A CSV named .xlsx is read as CSV; an .xlsx named .csv as a workbook."""
    user, _ = university()
    cards = students(1)
    job = upload_and_process(
        user, SCHOOL_START, csv_file(SCHOOL_START, user, start_rows(cards)), "rows.xlsx"
    )
    assert job.file_format == "csv" and job.accepted_rows == 1
    cards = students(1)
    job = upload_and_process(
        user, SCHOOL_START, xlsx_file(SCHOOL_START, user, start_rows(cards)), "rows.csv"
    )
    assert job.file_format == "xlsx" and job.accepted_rows == 1


def test_bk3_three_bad_rows_affect_only_their_rows():
    user, _ = university()
    cards = students(300)
    rows = start_rows(cards)
    rows[9]["number"] = "12345"  # row 11: not a card number
    rows[99]["start_date"] = days_ago(-3)  # row 101: in the future
    rows[199]["roman_name"] = "SOMEONE ELSE"  # row 201: does not match the card
    job = upload_and_process(user, SCHOOL_START, csv_file(SCHOOL_START, user, rows))
    assert job.state == JobState.DONE
    assert (job.accepted_rows, job.error_rows) == (297, 3)
    assert Filing.objects.count() == 297
    bad = {r.row_number: r for r in job.rows.filter(state=RowState.ERROR)}
    assert set(bad) == {11, 101, 201}
    assert {e["column"] for e in bad[11].errors} == {"number"}
    assert "Residence card number" in bad[11].errors[0]["message"]
    assert {e["column"] for e in bad[101].errors} == {"start_date"}
    assert "future" in bad[101].errors[0]["message"]
    # A card that does not match: every card cell marked, and the row says how to fix it.
    assert {"number", "roman_name", "nationality", "birth_date", "sex", "prefecture"} <= {
        e["column"] for e in bad[201].errors
    }
    assert any(e["column"] == "" and "exactly as printed" in e["message"] for e in bad[201].errors)
    assert not Filing.objects.filter(card=cards[199]).exists()


def test_bk3_proxy_rows_need_the_resident_registered():
    """001 Q78: a 19-16 bulk row for a resident who is not registered is an error; the
    registered residents' rows are filed and land in their history (NF-4)."""
    user, organization = make_organization_account(kind=Organization.Kind.UNIVERSITY)
    registered = [make_resident(status="student")[1] for _ in range(2)]
    unregistered = students(1)[0]
    rows = [
        {
            **face_row(card),
            "event_date": days_ago(2),
            "old_org_address": "東京都千代田区丸の内１−１−１",
        }
        for card in [*registered, unregistered]
    ]
    job = upload_and_process(
        user,
        PROXY_ADDRESS,
        csv_file(PROXY_ADDRESS, user, rows),
        requested_by_resident=True,
    )
    assert job.state == JobState.DONE
    assert (job.accepted_rows, job.error_rows) == (2, 1)
    error = job.rows.get(state=RowState.ERROR)
    assert error.row_number == 4
    assert any("not registered" in e["message"] for e in error.errors)
    filings = Filing.objects.filter(filed_as=FiledAs.PROXY)
    assert {f.card_id for f in filings} == {c.pk for c in registered}
    # Blank organization columns took the organization's registered name (the form's initial).
    assert {f.content["items"]["org_name"] for f in filings} == {organization.name}


def test_bk3_proxy_needs_the_residents_request():
    user, _ = university()
    with pytest.raises(ValidationError) as refused:
        upload(user, PROXY_ADDRESS, b"x", requested_by_resident=False)
    assert "Tick" in refused.value.error_dict["requested_by_resident"][0].message
    assert not Job.objects.exists()


def test_bk3_roster_rows_not_students_are_errors_the_rest_one_filing():
    user, _ = university()
    cards = students(4)
    engineer = students(1, status="engineer_humanities_international")[0]
    rows = [card_row(c) for c in cards] + [card_row(engineer)]
    rows[1]["sex"] = "X"
    job = upload_and_process(user, ROSTER, csv_file(ROSTER, user, rows), as_of=as_of())
    assert (job.accepted_rows, job.error_rows) == (3, 2)
    filing = Filing.objects.get()
    assert [line["card_number"] for line in filing.content["roster"]] == [
        cards[0].number,
        cards[2].number,
        cards[3].number,
    ]
    errors = {r.row_number: r.errors for r in job.rows.filter(state=RowState.ERROR)}
    assert set(errors) == {3, 6}
    assert [e["column"] for e in errors[3]] == ["sex"]
    assert any("student" in e["message"] for e in errors[6])


def test_bk4_a_choice_error_lists_the_allowed_values_after_the_forms_message():
    user, _ = university()
    cards = students(2)
    rows = [card_row(c) for c in cards]
    rows[1]["sex"] = "X"
    job = upload_and_process(user, ROSTER, csv_file(ROSTER, user, rows), as_of=as_of())
    (message,) = job.rows.get(state=RowState.ERROR).errors_for("sex")
    assert message.startswith("Select a valid choice. X is not one of the available choices.")
    assert message.endswith(" Allowed values: M or F.")


def test_bk4_allowed_values_only_for_short_lists():
    from zairyu.bulk.kinds import CellError, allowed_values, with_allowed_values

    assert allowed_values([("M", "Male"), ("F", "Female")]) == "Allowed values: M or F."
    assert allowed_values([("a", "A")]) == "Allowed values: a."
    ten = [(str(n), f"label {n}") for n in range(10)]
    assert allowed_values(ten) == "Allowed values: 0, 1, 2, 3, 4, 5, 6, 7, 8 or 9."
    assert allowed_values([*ten, ("10", "label 10")]) == ""
    assert allowed_values([]) == ""
    other = CellError("sex", "Sex is empty. Fill it in.", "required")
    assert with_allowed_values(other, [("M", "Male")]).message == "Sex is empty. Fill it in."


def test_bk3_school_end_reason_choice_as_code_or_list_entry():
    user, _ = university()
    cards = students(3)
    rows = [{**face_row(c), "end_date": days_ago(1)} for c in cards]
    rows[0]["end_reason"] = "graduation"
    rows[1]["end_reason"] = "withdrawal: Withdrawal (退学)"
    rows[2]["end_reason"] = "holiday"
    job = upload_and_process(user, SCHOOL_END, csv_file(SCHOOL_END, user, rows))
    assert (job.accepted_rows, job.error_rows) == (2, 1)
    assert sorted(f.content["items"]["end_reason"] for f in Filing.objects.all()) == [
        "graduation",
        "withdrawal",
    ]
    assert job.rows.get(state=RowState.ERROR).errors[0]["column"] == "end_reason"


# --- reception errors (BK-3, SEC-4) -----------------------------------------------------------


def assert_reception_error(job, *words):
    assert job.state == JobState.RECEPTION_ERROR
    text = " ".join(job.reasons)
    for word in words:
        assert word in text, text
    assert not job.rows.exists()
    assert not Filing.objects.exists()


def test_bk3_wrong_template_header():
    user, _ = university()
    content = csv_file(ROSTER, user, [card_row(c) for c in students(1)])
    job = upload_and_read(user, SCHOOL_END, content)
    # The roster's columns are a subset of the end-of-acceptance ones: the rest are missing.
    assert_reception_error(job, "missing", "End date")
    job = upload_and_read(user, SCHOOL_END, "名前,住所\n山田,東京\n".encode())
    assert_reception_error(job, "not that of the template")


def test_bk3_wrong_template_xlsx_marker():
    from zairyu.bulk.kinds import get_kind
    from zairyu.bulk.services import template_file

    user, _ = university()
    content, _name, _type = template_file(get_kind(ROSTER), user, "xlsx")
    job = upload_and_read(user, SCHOOL_START, content, "roster.xlsx")
    assert_reception_error(job, "another template")


def test_bk3_missing_column():
    user, _ = university()
    content = csv_file(SCHOOL_START, user, start_rows(students(1)), drop=("sex",))
    assert_reception_error(upload_and_read(user, SCHOOL_START, content), "missing", "“Sex”")


def test_bk3_unknown_column():
    user, _ = university()
    content = csv_file(SCHOOL_START, user, [], extra_header=("Favourite colour",))
    assert_reception_error(upload_and_read(user, SCHOOL_START, content), "Favourite colour")


@pytest.mark.parametrize(
    "content",
    [
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\x00\x00",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100,
        b"PK\x03\x04garbage that is not a zip",
    ],
    ids=["pdf", "png", "xls", "broken-zip"],
)
def test_bk3_sec4_not_a_spreadsheet(content):
    user, _ = university()
    job = upload(user, SCHOOL_START, content, "rows.xlsx")
    assert job.state == JobState.RECEPTION_ERROR
    assert job.reasons and not job.rows.exists()


def _zip(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return out.getvalue()


def test_sec4_zip_bomb_refused_before_parsing(settings, monkeypatch):
    """An .xlsx whose sheet unpacks to 60 MB of blanks (a few dozen KB packed) is refused by
    the zip inspection; openpyxl never opens it."""
    from zairyu.bulk import spreadsheets

    user, _ = university()
    workbook = io.BytesIO()
    openpyxl.Workbook().save(workbook)
    with zipfile.ZipFile(workbook) as archive:
        entries = {n: archive.read(n) for n in archive.namelist()}
    entries["xl/worksheets/sheet1.xml"] = b" " * (60 * 1024 * 1024)
    bomb = _zip(entries)
    assert len(bomb) < 200 * 1024

    def never(*args, **kwargs):
        raise AssertionError("openpyxl must not read a zip bomb")

    monkeypatch.setattr(spreadsheets, "_read_xlsx", never)
    job = upload(user, SCHOOL_START, bomb, "bomb.xlsx")
    assert_reception_error(job, "unpacks to more than")


def test_sec4_too_many_zip_entries(settings):
    settings.ZAIRYU_BULK_MAX_ZIP_ENTRIES = 20
    user, _ = university()
    entries = {"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"}
    entries.update({f"xl/media/{n}.bin": b"x" for n in range(30)})
    assert_reception_error(upload(user, SCHOOL_START, _zip(entries), "a.xlsx"), "too many parts")


def test_sec4_entity_declarations_refused():
    user, _ = university()
    workbook = io.BytesIO()
    openpyxl.Workbook().save(workbook)
    with zipfile.ZipFile(workbook) as archive:
        entries = {n: archive.read(n) for n in archive.namelist()}
    sheet = entries["xl/worksheets/sheet1.xml"]
    body = sheet.split(b"?>", 1)[1] if sheet.startswith(b"<?xml") else sheet
    entries["xl/worksheets/sheet1.xml"] = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]>' + body
    )
    assert_reception_error(upload(user, SCHOOL_START, _zip(entries), "a.xlsx"), "not an Excel")


def test_sec4_macros_refused():
    user, _ = university()
    workbook = io.BytesIO()
    openpyxl.Workbook().save(workbook)
    with zipfile.ZipFile(workbook) as archive:
        entries = {n: archive.read(n) for n in archive.namelist()}
    entries["xl/vbaProject.bin"] = b"\xd0\xcf\x11\xe0macro"
    assert_reception_error(upload(user, SCHOOL_START, _zip(entries), "a.xlsm"), "macros")


def test_sec4_file_too_large_refused_before_reading(settings):
    settings.ZAIRYU_BULK_MAX_BYTES = 1000

    class Huge:
        name = "huge.csv"
        size = 10**9

        def read(self, *args):
            raise AssertionError("a file over the limit must not be read")

    user, _ = university()
    from zairyu.bulk.services import bulk_upload

    job = bulk_upload(user=user, file=Huge(), kind=SCHOOL_START)
    assert_reception_error(job, "larger than")


def test_sec4_formula_cells_are_data_never_evaluated():
    """A cell with a formula is read as its saved value (none: openpyxl wrote it), never run;
    text beginning with = is text and fails the field's check."""
    user, _ = university()
    cards = students(2)
    rows = start_rows(cards)
    rows[0]["address"] = '=HYPERLINK("http://evil.example","x")'
    rows[1]["roman_name"] = "=1+1"
    job = upload_and_process(user, SCHOOL_START, xlsx_file(SCHOOL_START, user, rows), "f.xlsx")
    assert job.state == JobState.DONE
    assert job.error_rows == 2
    values = {r.row_number: r.values for r in job.rows.all()}
    # openpyxl stored the first as a formula without a cached value: the value read is empty.
    assert values[2]["address"] == ""
    assert values[3]["roman_name"] == ""


def test_bk3_kind_not_offered_to_the_user():
    company, _ = make_organization_account()  # a company is not a school
    with pytest.raises(ValidationError):
        upload(company, ROSTER, b"x", as_of=as_of())
    resident, _card = make_resident()
    with pytest.raises(ValidationError):
        upload(resident, SCHOOL_START, b"x")
    assert not Job.objects.exists()


def test_bk3_roster_reference_date_checked():
    user, _ = university()
    with pytest.raises(ValidationError) as refused:
        upload(user, ROSTER, b"x", as_of="2001-05-01")
    assert "as_of" in refused.value.error_dict


def test_sec4_zip_with_unknown_compression_is_unreadable():
    """A part packed with a method Python's zipfile cannot read (here the method number is set
    to 99, AES) is a reception error, not a crash."""
    user, _ = university()
    workbook = io.BytesIO()
    openpyxl.Workbook().save(workbook)
    data = bytearray(workbook.getvalue())
    # Local file headers (PK\x03\x04) keep the method at offset 8, central directory entries
    # (PK\x01\x02) at offset 10.
    for signature, offset in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):
        start = 0
        while (at := data.find(signature, start)) != -1:
            data[at + offset : at + offset + 2] = (99).to_bytes(2, "little")
            start = at + 4
    from zairyu.bulk.spreadsheets import ReceptionError, inspect_zip

    with pytest.raises(ReceptionError) as refused:
        inspect_zip(bytes(data))
    assert refused.value.code == "unreadable"
    job = upload(user, SCHOOL_START, bytes(data), "packed.xlsx")
    assert_reception_error(job, "could not be read")
