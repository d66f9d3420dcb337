"""Reading uploaded sheets safely and writing templates and error files (BK-2, SEC-4).

Reading: the type is decided by the content, never the name. A ZIP container must be an .xlsx
workbook and is inspected with ``zipfile`` *before* openpyxl sees it: the number of entries,
their declared and actual uncompressed sizes, encrypted entries, macros (``vbaProject.bin``)
and XML document type declarations (entity expansion) are refused. openpyxl then reads it in
read-only mode with ``data_only=True``: a formula is never evaluated and never taken as a
formula — the value last saved with the file is read, and text starting with ``=`` is text.
Anything else must be a CSV in UTF-8 (with or without BOM) or Shift_JIS/CP932.

Writing: every text cell that a spreadsheet program could take for a formula (``= + - @``,
tab, carriage return first) is written with a leading apostrophe (``neutralise``) — in the
templates, the error files and any CSV export.
"""

from __future__ import annotations

import codecs
import csv
import io
import unicodedata
import zipfile
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext as _

from .kinds import CHOICE, DATE, Column, cell_text

MAX_COLUMNS = 100
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
MARKER_PREFIX = "zairyu-bulk:"
LISTS_SHEET = "lists"
_CHUNK = 64 * 1024


class ReceptionError(Exception):
    """The whole file is refused (受付エラー, BK-3); ``reasons`` say why and what to do."""

    def __init__(self, reasons: list[str], code: str = "reception_error") -> None:
        super().__init__("; ".join(reasons))
        self.reasons = reasons
        self.code = code


@dataclass
class Sheet:
    """The rows of an uploaded file, as text."""

    file_format: str
    encoding: str = ""
    header: list[str] = field(default_factory=list)
    # (row number in the file, the cells as text)
    rows: list[tuple[int, list[str]]] = field(default_factory=list)
    marker: str = ""  # the kind a Zairyu .xlsx template was made for


def neutralise(value: str) -> str:
    """Prefix an apostrophe to text a spreadsheet could run as a formula (CSV injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def normalise_header(text: str) -> str:
    return unicodedata.normalize("NFKC", str(text or "")).strip().casefold()


# --- reading ---------------------------------------------------------------------------------


def read_upload(data: bytes) -> Sheet:
    """Read an uploaded file's header and rows; raise ReceptionError when it cannot be read."""
    if len(data) > settings.ZAIRYU_BULK_MAX_BYTES:
        raise ReceptionError([_too_big()], code="too_big")
    if not data.strip():
        raise ReceptionError([_("The file is empty.")], code="empty")
    if data.startswith(b"PK\x03\x04"):
        return _read_xlsx(data)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ReceptionError(
            [
                _(
                    "The file is an old Excel workbook (.xls) or is protected with a password. "
                    "Save it as an Excel workbook (.xlsx) without a password, or as CSV."
                )
            ],
            code="unreadable",
        )
    return _read_csv(data)


def _too_big() -> str:
    return _(
        "The file is larger than %(size)d MB. A file of at most 300 rows is much smaller: "
        "remove pictures and other sheets, or save it as CSV."
    ) % {"size": settings.ZAIRYU_BULK_MAX_BYTES // (1024 * 1024)}


def _not_spreadsheet() -> ReceptionError:
    return ReceptionError(
        [
            _(
                "The file is not an Excel workbook (.xlsx) or a CSV file. Download the template, "
                "fill it in and upload it as .xlsx or .csv."
            )
        ],
        code="not_spreadsheet",
    )


def inspect_zip(data: bytes) -> None:
    """Check a ZIP container before any XML parser reads it (SEC-4: zip bombs, entities)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise _not_spreadsheet() from None
    if len(entries) > settings.ZAIRYU_BULK_MAX_ZIP_ENTRIES:
        raise ReceptionError(
            [
                _(
                    "The workbook has too many parts (%(count)d; at most %(max)d). Copy the rows "
                    "into a new template and upload that."
                )
                % {"count": len(entries), "max": settings.ZAIRYU_BULK_MAX_ZIP_ENTRIES}
            ],
            code="zip_entries",
        )
    limit = settings.ZAIRYU_BULK_MAX_UNCOMPRESSED
    names = {entry.filename for entry in entries}
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise _not_spreadsheet()
    too_large = ReceptionError(
        [
            _(
                "The workbook unpacks to more than %(size)d MB, far more than 300 rows need. "
                "Copy the rows into a new template and upload that."
            )
            % {"size": limit // (1024 * 1024)}
        ],
        code="zip_size",
    )
    if sum(entry.file_size for entry in entries) > limit:
        raise too_large
    total = 0
    for entry in entries:
        if entry.flag_bits & 0x1:
            raise ReceptionError(
                [_("The workbook is protected with a password. Save it without one.")],
                code="unreadable",
            )
        if entry.filename.lower().endswith("vbaproject.bin"):
            raise ReceptionError(
                [
                    _(
                        "The workbook contains macros. Zairyu's templates need none: upload the "
                        "rows in the .xlsx template or as CSV."
                    )
                ],
                code="macros",
            )
        xml = entry.filename.lower().endswith((".xml", ".rels", ".vml"))
        tail = b""
        try:
            with archive.open(entry) as stream:
                while chunk := stream.read(_CHUNK):
                    total += len(chunk)
                    if total > limit:
                        raise too_large
                    if xml:
                        window = tail + chunk
                        if b"<!DOCTYPE" in window or b"<!ENTITY" in window:
                            raise _not_spreadsheet()
                        tail = chunk[-16:]
        # RuntimeError also covers zipfile's refusal of a compression method it cannot read
        # (raised as a subclass of RuntimeError).
        except (zipfile.BadZipFile, OSError, EOFError, RuntimeError):
            raise _unreadable() from None


def _unreadable() -> ReceptionError:
    return ReceptionError(
        [
            _(
                "The workbook could not be read (it may be damaged). Open it in Excel, save it "
                "again as .xlsx, or save it as CSV, and upload it again."
            )
        ],
        code="unreadable",
    )


def _read_xlsx(data: bytes) -> Sheet:
    inspect_zip(data)
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(
            io.BytesIO(data), read_only=True, data_only=True, keep_links=False, keep_vba=False
        )
    except Exception:  # openpyxl raises many kinds for a damaged file
        raise _unreadable() from None
    try:
        sheets = [ws for ws in workbook.worksheets if ws.title != LISTS_SHEET]
        if not sheets:
            raise _unreadable()
        worksheet = sheets[0]
        marker = ""
        keywords = (workbook.properties.keywords or "") if workbook.properties else ""
        if keywords.startswith(MARKER_PREFIX):
            marker = keywords[len(MARKER_PREFIX) :].strip()
        sheet = Sheet(file_format="xlsx", marker=marker)
        worksheet.reset_dimensions()
        try:
            for number, values in enumerate(
                worksheet.iter_rows(values_only=True, max_col=MAX_COLUMNS), start=1
            ):
                _take(sheet, number, [cell_text(v) for v in values])
        except ReceptionError:
            raise
        except Exception:
            raise _unreadable() from None
        return sheet
    finally:
        workbook.close()


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode a CSV: UTF-8 with BOM, UTF-8, then Shift_JIS/CP932 (what Japanese Excel saves)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ReceptionError(
            [
                _(
                    "The file is in UTF-16 (Excel's “Unicode text”). Save it as “CSV UTF-8” or "
                    "“CSV” and upload it again."
                )
            ],
            code="encoding",
        )
    if b"\x00" in data:
        raise _not_spreadsheet()
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[len(codecs.BOM_UTF8) :].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError:
            pass
    else:
        try:
            return data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            pass
        try:
            return data.decode("cp932"), "cp932"
        except UnicodeDecodeError:
            pass
    raise ReceptionError(
        [
            _(
                "The characters of the file could not be read. Save it as “CSV UTF-8” (or CSV "
                "in Shift_JIS) and upload it again."
            )
        ],
        code="encoding",
    )


def _read_csv(data: bytes) -> Sheet:
    text, encoding = decode_text(data)
    sheet = Sheet(file_format="csv", encoding=encoding)
    try:
        reader = csv.reader(io.StringIO(text, newline=""))
        for number, values in enumerate(reader, start=1):
            _take(sheet, number, [cell_text(v) for v in values[:MAX_COLUMNS]])
    except csv.Error:
        raise _not_spreadsheet() from None
    return sheet


def _take(sheet: Sheet, number: int, cells: list[str]) -> None:
    if not any(cells):
        return
    if not sheet.header:
        while cells and not cells[-1]:
            cells.pop()
        sheet.header = cells
        return
    sheet.rows.append((number, cells))


# --- writing -----------------------------------------------------------------------------------


def csv_bytes(header: list[str], rows: list[list[str]]) -> bytes:
    """A CSV in UTF-8 with BOM (Excel opens it with the right characters); cells neutralised."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([neutralise(h) for h in header])
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
    return codecs.BOM_UTF8 + out.getvalue().encode("utf-8")


def _text_cell(worksheet, row: int, column: int, value: str):
    cell = worksheet.cell(row=row, column=column)
    cell.value = neutralise(value)
    cell.data_type = "s"  # never a formula, whatever the text
    return cell


def workbook_bytes(
    *,
    kind_key: str,
    title: str,
    columns: list[Column],
    instructions: list[str],
    data_title: str,
    instructions_title: str,
    rows: list[tuple[list[str], dict[int, list[str]]]] | None = None,
    extra_headers: list[str] = (),
    data_rows: int = 300,
) -> bytes:
    """Write a template (``rows`` None) or an error file: a data sheet with the header row,
    pull-down lists for choice columns (data validation on a hidden sheet), an instructions
    sheet, no macros. For an error file each row is (cells, {column index: errors}): the bad
    cells are filled and carry a comment, and the errors also go in the extra columns."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    workbook.properties.title = title[:200]
    workbook.properties.keywords = f"{MARKER_PREFIX}{kind_key}"
    workbook.properties.creator = "Zairyu"
    data = workbook.active
    data.title = data_title[:31]
    bold = Font(bold=True)
    headers = [c.label for c in columns] + list(extra_headers)
    for index, text in enumerate(headers, start=1):
        cell = _text_cell(data, 1, index, text)
        cell.font = bold
        data.column_dimensions[get_column_letter(index)].width = max(14, min(40, len(text) + 4))
    for index, column in enumerate(columns, start=1):
        if column.help_text:
            data.cell(row=1, column=index).comment = Comment(column.help_text, "Zairyu")
    data.freeze_panes = "A2"
    last_row = 1 + max(data_rows, len(rows or []))
    lists = workbook.create_sheet(LISTS_SHEET)
    lists.sheet_state = "hidden"
    list_column = 0
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        if column.type == CHOICE and column.choices:
            list_column += 1
            list_letter = get_column_letter(list_column)
            for n, entry in enumerate(column.entries, start=1):
                _text_cell(lists, n, list_column, entry)
            validation = DataValidation(
                type="list",
                formula1=f"{LISTS_SHEET}!${list_letter}$1:${list_letter}${len(column.entries)}",
                allow_blank=True,
                showErrorMessage=True,
                errorStyle="warning",
                errorTitle=column.label[:32],
                error=_("Choose from the list (or type the code)."),
            )
            validation.add(f"{letter}2:{letter}{last_row}")
            data.add_data_validation(validation)
        elif column.type == DATE:
            for r in range(2, last_row + 1):
                data.cell(row=r, column=index).number_format = "yyyy-mm-dd"
        else:
            for r in range(2, last_row + 1):
                data.cell(row=r, column=index).number_format = "@"
    red = PatternFill(start_color="FFF4CCCC", end_color="FFF4CCCC", fill_type="solid")
    wrap = Alignment(wrap_text=True, vertical="top")
    for r, (cells, errors) in enumerate(rows or [], start=2):
        for index, value in enumerate(cells, start=1):
            cell = _text_cell(data, r, index, value)
            if index in errors:
                cell.fill = red
                cell.comment = Comment("\n".join(errors[index]), "Zairyu")
        if errors:
            for index in range(len(cells) + 1, len(headers) + 1):
                data.cell(row=r, column=index).alignment = wrap
    sheet = workbook.create_sheet(instructions_title[:31], 1)
    sheet.column_dimensions["A"].width = 120
    for r, line in enumerate(instructions, start=1):
        cell = _text_cell(sheet, r, 1, line)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        if r == 1:
            cell.font = Font(bold=True, size=14)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
