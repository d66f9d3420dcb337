"""Reading uploaded sheets safely and writing templates and error files (BK-2, SEC-4).

Reading happens in two places. While the upload request waits, only the cheap checks run
(``check_upload``): the size, the type decided by the content (never the name), and for a ZIP
container — which must be an .xlsx workbook — the inspection with ``zipfile`` *before* any XML
parser sees it: the number of entries, their declared and actual uncompressed sizes, encrypted
entries, macros (``vbaProject.bin``) and XML document type declarations (entity expansion) are
refused; a CSV must decode as UTF-8 (with or without BOM) or Shift_JIS/CP932. The sheet itself
is read by the worker (``read_upload``), with work proportional to what the sheet's XML really
holds: openpyxl's reader opens the workbook read-only with ``data_only=True`` (a formula is never
evaluated and never taken as a formula — the value last saved with the file is read, and text
starting with ``=`` is text), but the rows are read from the sheet's XML stream here, element
by element, never trusting its ``<dimension>``: openpyxl's own iteration pads every missing row
up to the declared size, so one cell at XFD1048576 cost a million empty rows of 100 cells.
At most ``MAX_CELLS`` rows and cells are read and nothing may stand beyond ``MAX_COLUMNS``
columns; either is a reception error that says where.

Writing: every text cell that a spreadsheet program could take for a formula (``= + - @``,
tab, carriage return first) is written with a leading apostrophe (``neutralise``) — in the
templates, the error files and any CSV export.
"""

from __future__ import annotations

import codecs
import csv
import functools
import io
import unicodedata
import zipfile
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext as _

from zairyu.core.validators import show_control_characters

from .kinds import CHOICE, DATE, Column, cell_text

# A file's sheet may use at most this many columns; a value further right is a reception error.
MAX_COLUMNS = 100
# <row> and <c> elements read from a sheet before it is refused. A full template (301 rows of
# at most 100 columns, every cell formatted) has about 30,000; reading 200,000 takes a worker
# about a second.
MAX_CELLS = 200_000
# Excel's last row: a row number beyond it (or not increasing) is a damaged sheet.
MAX_ROW_NUMBER = 1_048_576
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
    # <row> and <c> elements read from an .xlsx sheet (the work done; at most MAX_CELLS).
    cells_read: int = 0


def neutralise(value: str) -> str:
    """Prefix an apostrophe to text a spreadsheet could run as a formula (CSV injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def normalise_header(text: str) -> str:
    return unicodedata.normalize("NFKC", str(text or "")).strip().casefold()


# --- reading ---------------------------------------------------------------------------------


def check_upload(data: bytes) -> tuple[str, str]:
    """Make the cheap checks of an upload while the request waits (SEC-4): its size, that it
    is not empty, its type by content, and for a workbook the ZIP inspection (parts, unpacked
    size, passwords, macros, entity declarations); for a CSV, that its characters decode.
    Return (file format, CSV encoding). Nothing here parses a sheet: ``read_upload`` does that
    in the worker. Raise ReceptionError."""
    if len(data) > settings.ZAIRYU_BULK_MAX_BYTES:
        raise ReceptionError([_too_big()], code="too_big")
    if not data.strip():
        raise ReceptionError([_("The file is empty.")], code="empty")
    if data.startswith(b"PK\x03\x04"):
        inspect_zip(data)
        return "xlsx", ""
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
    _text, encoding = decode_text(data)
    return "csv", encoding


def read_upload(data: bytes) -> Sheet:
    """Read an uploaded file's header and rows; raise ReceptionError when it cannot be read.

    Runs the checks of ``check_upload`` again (the worker trusts nothing it is handed), then
    reads the sheet with bounded work (``MAX_CELLS``, ``MAX_COLUMNS``)."""
    file_format, _encoding = check_upload(data)
    if file_format == "xlsx":
        return _read_xlsx(data)
    return _read_csv(data)


def _too_big() -> str:
    return _(
        "The file is larger than %(size)d MB. A file of at most %(limit)s rows is much smaller: "
        "remove pictures and other sheets, or save it as CSV."
    ) % {
        "size": settings.ZAIRYU_BULK_MAX_BYTES // (1024 * 1024),
        "limit": settings.ZAIRYU_BULK_MAX_ROWS,
    }


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


def inspect_zip(data: bytes) -> None:  # noqa: C901 - a debt (docs/architecture.md)
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
                "The workbook unpacks to more than %(size)d MB, far more than %(limit)s rows "
                "need. Copy the rows into a new template and upload that."
            )
            % {"size": limit // (1024 * 1024), "limit": settings.ZAIRYU_BULK_MAX_ROWS}
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


def _beyond_columns(column: int, row: int) -> ReceptionError:
    from openpyxl.utils import get_column_letter

    try:
        cell = f"{get_column_letter(column)}{row}"
    except ValueError:  # further right than any spreadsheet program goes
        cell = f"R{row}C{column}"
    return ReceptionError(
        [
            _(
                "The sheet has a value in cell %(cell)s, to the right of the columns a file may "
                "use (at most %(max)d columns, up to column %(last)s). Delete what is in that "
                "cell, or copy the rows into a new template, and upload the file again."
            )
            % {"cell": cell, "max": MAX_COLUMNS, "last": get_column_letter(MAX_COLUMNS)}
        ],
        code="too_wide",
    )


def _too_many_cells() -> ReceptionError:
    return ReceptionError(
        [
            _(
                "The sheet has more than %(max)s rows and cells in use (filled in or "
                "formatted), far more than %(rows)d rows need. Copy the rows into a new "
                "template and upload that."
            )
            % {"max": f"{MAX_CELLS:,}", "rows": settings.ZAIRYU_BULK_MAX_ROWS}
        ],
        code="too_many_cells",
    )


def _read_xlsx(data: bytes) -> Sheet:
    """Read the first data sheet of a workbook that ``inspect_zip`` has passed."""
    try:
        reader = _workbook_reader()(
            io.BytesIO(data), read_only=True, data_only=True, keep_links=False, keep_vba=False
        )
        reader.read()
        workbook = reader.wb
    except Exception:  # openpyxl raises many kinds for a damaged file
        raise _unreadable() from None
    try:
        sheets = [ws for ws in workbook.worksheets if ws.title != LISTS_SHEET]
        if not sheets:
            raise _unreadable()
        marker = ""
        keywords = (workbook.properties.keywords or "") if workbook.properties else ""
        if keywords.startswith(MARKER_PREFIX):
            marker = keywords[len(MARKER_PREFIX) :].strip()
        sheet = Sheet(file_format="xlsx", marker=marker)
        try:
            for number, cells in _sheet_rows(workbook, sheets[0], sheet):
                _take(sheet, number, cells)
        except ReceptionError:
            raise
        except Exception:
            raise _unreadable() from None
        return sheet
    finally:
        workbook.close()


@functools.cache
def _workbook_reader():
    """openpyxl's read-only workbook reader (what ``load_workbook(read_only=True)`` runs), but
    whose sheets are never sized: openpyxl sizes each sheet from its ``<dimension>`` and, when a
    sheet has none, reads the whole sheet to find it — work this module never needs, as the
    rows are read from the XML as they come (``_sheet_rows``)."""
    from openpyxl.reader.excel import ExcelReader  # noqa: PLC0415
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet  # noqa: PLC0415

    class UnsizedWorksheet(ReadOnlyWorksheet):
        def _get_size(self):
            pass

    class Reader(ExcelReader):
        def read_worksheets(self):
            for found, rel in self.parser.find_sheets():
                if rel.target in self.valid_files and "chartsheet" not in rel.Type:
                    worksheet = UnsizedWorksheet(
                        self.wb, found.name, rel.target, self.shared_strings
                    )
                    worksheet.sheet_state = found.state
                    self.wb._sheets.append(worksheet)

    return Reader


def _sheet_rows(workbook, worksheet, sheet: Sheet):  # noqa: C901, PLR0912, PLR0915 - a debt (docs/architecture.md)
    """Yield (row number, cell texts) for each row of ``worksheet`` that has a value, reading
    its XML stream element by element: the work is proportional to the ``<row>`` and ``<c>``
    elements really there (counted in ``sheet.cells_read``, at most ``MAX_CELLS``), whatever
    the sheet's ``<dimension>`` says. Each cell's value is converted by openpyxl's own cell
    parser (shared strings, dates by number format, booleans), as its read-only mode does.

    Relies on openpyxl's read-only internals (``ExcelReader``, ``WorkSheetParser``,
    ``_get_source``, the workbook's date formats), pinned by ``openpyxl>=3.1,<4``;
    ``tests/bulk`` reads real workbooks through here."""
    from xml.etree.ElementTree import iterparse  # noqa: PLC0415 (what openpyxl itself uses)

    from openpyxl.worksheet._reader import WorkSheetParser  # noqa: PLC0415
    from openpyxl.xml.constants import SHEET_MAIN_NS  # noqa: PLC0415

    row_tag, cell_tag = f"{{{SHEET_MAIN_NS}}}row", f"{{{SHEET_MAIN_NS}}}c"
    with worksheet._get_source() as source:
        parser = WorkSheetParser(
            source,
            worksheet._shared_strings,
            data_only=True,
            epoch=workbook.epoch,
            date_formats=workbook._date_formats,
            timedelta_formats=workbook._timedelta_formats,
        )
        parser.row_counter = 0
        in_cell = False
        number = 0
        cells: dict[int, str] = {}
        empty_ref: str | None = None  # the last empty cell's reference, if it was the last cell
        # No entity expansion to fear: inspect_zip refused any <!DOCTYPE or <!ENTITY before.
        for event, element in iterparse(source, events=("start", "end")):  # noqa: S314
            tag = element.tag
            if event == "start":
                if tag == row_tag:
                    number = _row_number(element.get("r"), after=number)
                    parser.row_counter, parser.col_counter = number, 0
                    cells, empty_ref = {}, None
                elif tag == cell_tag:
                    in_cell = True
                else:
                    continue
                sheet.cells_read += 1
                if sheet.cells_read > MAX_CELLS:
                    raise _too_many_cells()
            elif tag == cell_tag:
                in_cell = False
                ref = element.get("r")
                if not len(element):
                    # No <v>, <is> or <f>: an empty, formatted cell. Nothing to convert; only
                    # the column count moves (worked out when a cell without "r" needs it).
                    element.clear()
                    if ref is None:
                        _advance(parser, empty_ref)
                        empty_ref = None
                    else:
                        empty_ref = ref
                    continue
                if ref is None:
                    _advance(parser, empty_ref, by=0)
                empty_ref = None
                cell = parser.parse_cell(element)
                element.clear()
                text = cell_text(cell["value"])
                if text:
                    if cell["column"] > MAX_COLUMNS:
                        raise _beyond_columns(cell["column"], number)
                    cells[cell["column"]] = text
            elif tag == row_tag:
                element.clear()
                if cells:
                    row = [""] * max(cells)
                    for column, text in cells.items():
                        row[column - 1] = text
                    yield number, row
                    cells = {}
            elif not in_cell:
                # Cells' children (<v>, <is>, <f>) are read with their cell; the rest is
                # dropped as soon as it ends so that memory stays flat.
                element.clear()


def _advance(parser, empty_ref: str | None, *, by: int = 1) -> None:
    """Bring openpyxl's column counter (used for a cell without a reference) past the cells
    skipped: to the last empty cell's column if it had a reference, then ``by`` on."""
    if empty_ref is not None:
        from openpyxl.utils import coordinate_to_tuple  # noqa: PLC0415

        parser.col_counter = coordinate_to_tuple(empty_ref)[1]
    parser.col_counter += by


def _row_number(text: str | None, *, after: int) -> int:
    """A ``<row>``'s number: its ``r`` attribute or the next one; rows must go down the sheet
    (each number once, as the rows of a job are unique) and stay within Excel's last row."""
    if text is None:
        number = after + 1
    else:
        try:
            number = int(text)
        except ValueError:
            value = float(text)  # openpyxl accepts "7.0" too; anything else is damaged
            if not value.is_integer():
                raise _unreadable() from None
            number = int(value)
    if number <= after or number > MAX_ROW_NUMBER:
        raise _unreadable()
    return number


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
            cells = [cell_text(v) for v in values]
            beyond = next((i for i in range(MAX_COLUMNS, len(cells)) if cells[i]), None)
            if beyond is not None:
                raise _beyond_columns(beyond + 1, number)
            _take(sheet, number, cells[:MAX_COLUMNS])
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
    if isinstance(value, str):
        # SEC-2: XML cannot hold a control character a CSV cell brought (openpyxl would raise);
        # the error file shows it by code point, as the cell's error message does.
        value = show_control_characters(value)
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
    data_rows: int | None = None,
) -> bytes:
    """Write a template (``rows`` None) or an error file: a data sheet with the header row,
    pull-down lists for choice columns (data validation on a hidden sheet), an instructions
    sheet, no macros. For an error file each row is (cells, {column index: errors}): the bad
    cells are filled and carry a comment, and the errors also go in the extra columns.
    ``data_rows``: how many rows below the header get the columns' formats and lists (default:
    as many as a file may hold, ``ZAIRYU_BULK_MAX_ROWS``)."""
    from openpyxl import Workbook

    if data_rows is None:
        data_rows = settings.ZAIRYU_BULK_MAX_ROWS
    workbook = Workbook()
    workbook.properties.title = title[:200]
    workbook.properties.keywords = f"{MARKER_PREFIX}{kind_key}"
    workbook.properties.creator = "Zairyu"
    data = workbook.active
    data.title = data_title[:31]
    headers = [c.label for c in columns] + list(extra_headers)
    _write_header(data, columns, headers)
    last_row = 1 + max(data_rows, len(rows or []))
    _format_columns(workbook, data, columns, last_row)
    _write_error_rows(data, rows or [], len(headers))
    _write_instructions(workbook, instructions_title, instructions)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _write_header(data, columns: list[Column], headers: list[str]) -> None:
    """The header row in bold, each column's help as the comment of its header cell."""
    from openpyxl.comments import Comment
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    bold = Font(bold=True)
    for index, text in enumerate(headers, start=1):
        cell = _text_cell(data, 1, index, text)
        cell.font = bold
        data.column_dimensions[get_column_letter(index)].width = max(14, min(40, len(text) + 4))
    for index, column in enumerate(columns, start=1):
        if column.help_text:
            data.cell(row=1, column=index).comment = Comment(column.help_text, "Zairyu")
    data.freeze_panes = "A2"


def _format_columns(workbook, data, columns: list[Column], last_row: int) -> None:
    """Up to ``last_row``: a pull-down list (on the hidden lists sheet) for each choice column,
    the date format for dates, text for the others."""
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

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


def _write_error_rows(
    data, rows: list[tuple[list[str], dict[int, list[str]]]], header_count: int
) -> None:
    """An error file's rows: the bad cells red with their errors as comment, the extra
    columns wrapped."""
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, PatternFill

    red = PatternFill(start_color="FFF4CCCC", end_color="FFF4CCCC", fill_type="solid")
    wrap = Alignment(wrap_text=True, vertical="top")
    for r, (cells, errors) in enumerate(rows, start=2):
        for index, value in enumerate(cells, start=1):
            cell = _text_cell(data, r, index, value)
            if index in errors:
                cell.fill = red
                cell.comment = Comment("\n".join(errors[index]), "Zairyu")
        if errors:
            for index in range(len(cells) + 1, header_count + 1):
                data.cell(row=r, column=index).alignment = wrap


def _write_instructions(workbook, title: str, instructions: list[str]) -> None:
    """The instructions sheet, second in the workbook, its first line as a title."""
    from openpyxl.styles import Alignment, Font

    sheet = workbook.create_sheet(title[:31], 1)
    sheet.column_dimensions["A"].width = 120
    for r, line in enumerate(instructions, start=1):
        cell = _text_cell(sheet, r, 1, line)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        if r == 1:
            cell.font = Font(bold=True, size=14)
