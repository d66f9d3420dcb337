"""What the API takes and answers (OpenAPI schemas generated from these)."""

from __future__ import annotations

import datetime as dt

from ninja import Schema


class Problem(Schema):
    """An error: ``detail`` says what is wrong and how to put it right; ``errors`` names the
    field of each problem ("" for the whole request)."""

    detail: str
    errors: list[FieldProblem] = []


class FieldProblem(Schema):
    field: str
    code: str
    message: str


Problem.model_rebuild()


class ColumnOut(Schema):
    name: str
    label: str
    required: bool
    type: str
    help_text: str
    choices: list[list[str]]


class KindOut(Schema):
    key: str
    service: str
    title: str
    description: str
    columns: list[ColumnOut]
    options: list[str]


class JobOut(Schema):
    id: int
    number: str
    kind: str
    state: str
    state_label: str
    final: bool
    percent: int
    file_name: str
    file_format: str
    total_rows: int
    processed_rows: int
    accepted_rows: int
    error_rows: int
    reasons: list[str]
    created_at: dt.datetime
    finished_at: dt.datetime | None


class CellProblem(Schema):
    column: str
    code: str
    message: str


class RowOut(Schema):
    row_number: int
    state: str
    errors: list[CellProblem]
    object_type: str
    object_id: str
    object_number: str


class RecordOut(Schema):
    """A record a row created, as its filer sees it: a notification (service N), an
    organization filing (service O) or an application (service A)."""

    id: int
    number: str
    kind: str
    kind_name: str
    state: str
    state_label: str
    final: bool
    state_changed_at: dt.datetime
    message: str
