"""Templates and error files (BK-2, BK-4, SEC-4): pull-down lists, instructions, no macros,
errors by each cell, formula-like cells neutralised in every export, re-upload of the
corrected rows only."""

import codecs
import csv
import io
import zipfile

import openpyxl

from zairyu.bulk.kinds import get_kind
from zairyu.bulk.models import JobState, RowState
from zairyu.bulk.services import error_file, template_file
from zairyu.bulk.spreadsheets import neutralise
from zairyu.filings.models import Filing

from .helpers import (
    ROSTER,
    SCHOOL_END,
    SCHOOL_START,
    csv_file,
    days_ago,
    face_row,
    students,
    university,
    upload_and_process,
)


def start_rows(cards):
    return [{**face_row(c), "start_date": days_ago(3)} for c in cards]


def test_sec4_neutralise():
    assert neutralise("=1+1") == "'=1+1"
    assert neutralise("+81") == "'+81"
    assert neutralise("-2") == "'-2"
    assert neutralise("@SUM(A1)") == "'@SUM(A1)"
    assert neutralise("\t=1") == "'\t=1"
    assert neutralise("HOUMU TAROU") == "HOUMU TAROU"


def test_bk2_xlsx_template_lists_instructions_no_macros():
    user, _ = university()
    content, name, content_type = template_file(get_kind(SCHOOL_END), user, "xlsx")
    assert name.endswith(".xlsx") and "spreadsheetml" in content_type
    names = zipfile.ZipFile(io.BytesIO(content)).namelist()
    assert not any("vba" in n.lower() for n in names)
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    data = workbook.worksheets[0]
    header = [c.value for c in data[1]]
    kind = get_kind(SCHOOL_END)
    assert header == [c.label for c in kind.columns(user)]
    assert "Nationality or region" in header and "Sex" in header
    lists = workbook["lists"]
    assert lists.sheet_state == "hidden"
    # One pull-down per choice column: nationality, sex, prefecture, end reason.
    validations = data.data_validations.dataValidation
    assert len(validations) == 4
    listed = {}
    for validation in validations:
        letter = validation.formula1.split("!")[1].split(":")[0].replace("$", "")[0]
        first = str(validation.sqref).split(":")[0].rstrip("0123456789")
        column = header[openpyxl.utils.column_index_from_string(first) - 1]
        listed[column] = [c.value for c in lists[letter] if c.value]
    assert "M: Male (M)" in listed["Sex"]
    assert any(v.startswith("CHN: ") for v in listed["Nationality or region"])
    reason = next(c.label for c in kind.columns(user) if c.name == "end_reason")
    assert any(v.startswith("graduation: ") for v in listed[reason])
    instructions = workbook.worksheets[1]
    text = "\n".join(str(c.value) for c in instructions["A"] if c.value)
    assert "at most 300 rows" in text
    assert workbook.properties.keywords == f"zairyu-bulk:{SCHOOL_END}"


def test_bk2_csv_template_utf8_bom_header():
    user, _ = university()
    content, name, _type = template_file(get_kind(ROSTER), user, "csv")
    assert content.startswith(codecs.BOM_UTF8)
    header = next(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert header == [c.label for c in get_kind(ROSTER).columns(user)]


def test_bk2_template_uploaded_back_is_accepted():
    """The template as downloaded, filled in with openpyxl, is read back."""
    user, _ = university()
    cards = students(2)
    content, _name, _type = template_file(get_kind(SCHOOL_START), user, "xlsx")
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    sheet = workbook.worksheets[0]
    names = [c.name for c in get_kind(SCHOOL_START).columns(user)]
    for r, row in enumerate(start_rows(cards), start=2):
        for col, name in enumerate(names, start=1):
            value = row.get(name, "")
            if name == "nationality":
                value = f"{value}: whatever the list says"
            sheet.cell(row=r, column=col, value=value)
    out = io.BytesIO()
    workbook.save(out)
    job = upload_and_process(user, SCHOOL_START, out.getvalue(), "filled.xlsx")
    assert job.state == JobState.DONE, job.reasons
    assert job.accepted_rows == 2


def bad_job(user, cards):
    rows = start_rows(cards)
    rows[1]["roman_name"] = '=HYPERLINK("http://evil.example","click")'
    rows[2]["sex"] = "@SUM(1+1)*cmd|' /C calc'!A0"
    rows[3]["number"] = "-12345"
    rows[4]["start_date"] = days_ago(-1)
    return upload_and_process(user, SCHOOL_START, csv_file(SCHOOL_START, user, rows))


def test_bk4_error_file_xlsx_marks_each_bad_cell_and_neutralises_formulas():
    user, _ = university()
    cards = students(6)
    job = bad_job(user, cards)
    assert (job.accepted_rows, job.error_rows) == (2, 4)
    content, name, _type = error_file(job, "xlsx")
    assert name == f"{job.number}-errors.xlsx"
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    sheet = workbook.worksheets[0]
    header = [c.value for c in sheet[1]]
    assert header[-2:] == ["Row in the uploaded file", "Errors"]
    rows = list(sheet.iter_rows(min_row=2, values_only=False))
    assert [r[-2].value for r in rows] == ["3", "4", "5", "6"]  # only the rows with errors
    by_label = {label: i for i, label in enumerate(header)}
    name_cell = rows[0][by_label["Resident's name (roman letters)"]]
    # Neutralised: text with a leading apostrophe, never a formula.
    assert name_cell.data_type == "s"
    assert name_cell.value == '\'=HYPERLINK("http://evil.example","click")'
    assert name_cell.comment is not None and "Name" in rows[0][-1].value
    assert name_cell.fill.fill_type == "solid"
    sex = rows[1][by_label["Sex"]]
    assert sex.value.startswith("'@SUM") and sex.data_type == "s" and sex.comment is not None
    assert rows[2][by_label["Resident's residence card number"]].value == "'-12345"
    date_cell = rows[3][by_label["Start date of acceptance"]]
    assert date_cell.comment is not None and "future" in date_cell.comment.text
    # No cell anywhere holds a formula.
    for ws in workbook.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f"
    # Cells without an error are neither filled nor commented.
    assert rows[3][by_label["Sex"]].comment is None


def test_bk4_error_file_csv_neutralised_with_errors_column():
    user, _ = university()
    job = bad_job(user, students(6))
    content, name, _type = error_file(job, "csv")
    assert content.startswith(codecs.BOM_UTF8)
    table = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert table[0][-1] == "Errors"
    assert len(table) == 5
    cells = [cell for row in table for cell in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@")]
    assert '\'=HYPERLINK("http://evil.example","click")' in cells


def test_bk4_corrected_error_file_reuploaded_files_only_those_rows():
    user, _ = university()
    cards = students(6)
    job = bad_job(user, cards)
    content, _name, _type = error_file(job, "xlsx")
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    sheet = workbook.worksheets[0]
    header = [c.value for c in sheet[1]]
    fixes = {
        "Resident's name (roman letters)": cards[1].roman_name,
        "Sex": cards[2].sex,
        "Resident's residence card number": cards[3].number,
        "Start date of acceptance": days_ago(2),
    }
    for row in sheet.iter_rows(min_row=2):
        for label, value in fixes.items():
            cell = row[header.index(label)]
            if cell.comment is not None:
                cell.value = value
    out = io.BytesIO()
    workbook.save(out)
    again = upload_and_process(user, SCHOOL_START, out.getvalue(), "fixed.xlsx")
    assert again.state == JobState.DONE, again.reasons
    assert (again.total_rows, again.accepted_rows, again.error_rows) == (4, 4, 0)
    assert Filing.objects.count() == 6
    assert Filing.objects.values("card").distinct().count() == 6
    assert not again.rows.filter(state=RowState.ERROR).exists()
