"""Templates and error files (BK-2, BK-4): a kind's template as .xlsx or CSV, and the rows of
a job that had errors in the template's shape, each bad cell marked."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _

from . import spreadsheets
from .kinds import Column, RowKind, get_kind
from .models import FileFormat, Job, RowState

ERRORS_COLUMN = "errors"
SOURCE_ROW_COLUMN = "source_row"


def errors_header() -> str:
    return _("Errors")


def source_row_header() -> str:
    return _("Row in the uploaded file")


def _instructions(kind: RowKind, columns: list[Column], *, error_file: bool) -> list[str]:
    lines = [
        kind.title,
        kind.description,
        _(
            "Fill in one row per person under the header row of the first sheet, at most "
            "%(max)d rows per file. Keep the header row as it is; do not add, remove "
            "or rename columns. Save the file as.xlsx, or as CSV (UTF-8 or Shift_JIS)."
        )
        % {"max": settings.ZAIRYU_BULK_MAX_ROWS},
        _(
            "Dates: YYYY-MM-DD, e.g. 2026-04-01. Columns with a pull-down list take one of its "
            "entries (or just the code before the colon)."
        ),
        _(
            "After the upload, rows with errors are listed with the reason by each cell; the "
            "other rows are filed. Correct only the rows with errors and upload them again."
        ),
    ]
    if error_file:
        lines.append(
            _(
                "This file holds only the rows that had errors: the cells in red carry a comment "
                "with the reason, and the last column lists every error of the row. Correct them "
                "and upload this file again; the extra columns are ignored."
            )
        )
    lines.extend(kind.instructions())
    lines.append("")
    lines.append(_("Columns:"))
    for column in columns:
        required = _("required") if column.required else _("optional")
        line = f"{column.label} ({required})"
        if column.help_text:
            line += f": {column.help_text}"
        if column.choices and len(column.choices) <= 20:
            line += " — " + ", ".join(column.entries)
        elif column.choices:
            line += " — " + _("choose from the pull-down list")
        lines.append(line)
    return [line for line in lines if line is not None]


def template_file(kind: RowKind, user, file_format: str) -> tuple[bytes, str, str]:
    """The template of ``kind`` as (content, file name, content type) (BK-2)."""
    columns = kind.columns(user)
    if file_format == FileFormat.CSV:
        content = spreadsheets.csv_bytes([c.label for c in columns], [])
        return content, f"{kind.key}.csv", "text/csv; charset=utf-8"
    content = spreadsheets.workbook_bytes(
        kind_key=kind.key,
        title=kind.title,
        columns=columns,
        instructions=_instructions(kind, columns, error_file=False),
        data_title=_("Data"),
        instructions_title=_("Instructions"),
    )
    return content, f"{kind.key}.xlsx", XLSX_TYPE


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def error_file(job: Job, file_format: str) -> tuple[bytes, str, str]:
    """The rows with errors as a file of the template's shape (BK-4): each bad cell marked (red
    with a comment in .xlsx), the row's errors in a last column, the row number it had in the
    uploaded file before that. Re-uploading it (corrected) files those rows only."""
    kind = get_kind(job.kind)
    columns = kind.columns(job.user) if kind else []
    rows = list(job.rows.filter(state=RowState.ERROR).order_by("row_number"))
    labels = {c.name: c.label for c in columns}
    table = []
    for row in rows:
        cells = [row.values.get(c.name, "") for c in columns]
        marks: dict[int, list[str]] = {}
        for error in row.errors:
            if error.get("column") in labels:
                index = [c.name for c in columns].index(error["column"]) + 1
                marks.setdefault(index, []).append(error["message"])
        summary = "\n".join(
            f"{labels[e['column']]}: {e['message']}" if e.get("column") in labels else e["message"]
            for e in row.errors
        )
        table.append((cells + [str(row.row_number), summary], marks))
    extra = [source_row_header(), errors_header()]
    base = f"{job.number}-errors"
    if file_format == FileFormat.CSV:
        content = spreadsheets.csv_bytes(
            [c.label for c in columns] + extra, [cells for cells, _marks in table]
        )
        return content, f"{base}.csv", "text/csv; charset=utf-8"
    content = spreadsheets.workbook_bytes(
        kind_key=job.kind,
        title=kind.title if kind else job.kind,
        columns=columns,
        instructions=_instructions(kind, columns, error_file=True) if kind else [],
        data_title=_("Data"),
        instructions_title=_("Instructions"),
        rows=table,
        extra_headers=extra,
        data_rows=0,
    )
    return content, f"{base}.xlsx", XLSX_TYPE
