"""Service O row kinds: the notifications and reports that list several people — the SSW
employment-contract notifications for several workers (forms 3-1-1, 3-1-2), the periodic
notification's per-worker sheet (form 3-6) and the JLI reports Nos. 38 and 39 (students).

**One file is one filing.** 004 Q14 says a bulk filing (一括届出・報告) files up to 300
*people* at once: the agency's template is one notification whose worker sheet has up to 300
lines. So a row of the file is one line of the kind's sheet (a worker or a student), and the
filing's own items (the date of the change, what changed, the month reported …) are asked once
on the upload page (the kind's *options*). The rows without errors make ONE filing through the
same service as the input screen (``ofiling_submit``); rows with errors are reported by cell
and left out (BK-3), to be corrected and uploaded again — as a new filing of those people.

Columns, options and checks come from ``filings.service_o.kinds`` (``SPECS`` and the one
checker ``clean_values``) and the input screen's field builder; nothing is defined twice.
"""

from __future__ import annotations

import dataclasses
import uuid

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from zairyu.filings.labels import local_name
from zairyu.filings.service_o import kinds as o_kinds
from zairyu.filings.service_o import rules as o_rules
from zairyu.filings.service_o import services as o_services
from zairyu.filings.service_o.forms import ItemsForm, RowForm
from zairyu.filings.service_o.selectors import organization_of
from zairyu.reference.models import ServiceOKind

from .kinds import (
    DATE,
    CellError,
    Column,
    Outcome,
    Prepared,
    RowKind,
    register_family,
    with_allowed_values,
)

SHEET_ERRORS = "workers"  # clean_values' key for errors of the sheet as a whole


def _sheet_column(field_name: str, field: forms.Field, item: o_kinds.Item) -> Column:
    column = Column.from_field(field_name, field)
    if item.type == o_kinds.DATE:
        column = dataclasses.replace(column, type=DATE)
    return column


class ServiceOSheetKind(RowKind):
    """One service O kind with a sheet of several people: a row per person, a file per
    filing (004 Q14)."""

    service = "O"
    batch_size = 0  # every row of the file in one transaction: they make one filing

    def __init__(self, kind: ServiceOKind) -> None:
        self.code = kind.pk
        self.listed = kind
        self.key = f"o_{kind.pk}"

    # --- what the kind is ---------------------------------------------------------------------

    @property
    def spec(self) -> o_kinds.KindSpec:
        return o_kinds.spec_for(self.code)

    def kind(self) -> ServiceOKind:
        return ServiceOKind.objects.get(pk=self.code)

    @property
    def title(self) -> str:
        return local_name(self.listed)

    @property
    def description(self) -> str:
        return _(
            "One row per %(person)s; the rows of one file make ONE filing of up to %(limit)s "
            "people. The filing's own items are entered once on the upload page."
        ) % {"person": self._person(), "limit": self.max_people}

    @property
    def max_people(self) -> int:
        """How many people one file may list: the sheet's limit (004 Q14) within the setting."""
        return min(self.spec.sheet.max_rows, settings.ZAIRYU_BULK_MAX_ROWS)

    def _person(self) -> str:
        if self.code.startswith("jli_"):
            return _("student")
        return _("worker")

    def available_to(self, user) -> bool:
        organization = organization_of(user)
        return organization is not None and o_rules.may_file(self.listed, organization)

    def columns(self, user=None) -> list[Column]:
        sheet = self.spec.sheet
        form = RowForm(sheet=sheet, number=1)  # the input screen's row fields
        return [_sheet_column(item.code, form.fields[item.code], item) for item in sheet.items]

    def instructions(self) -> list[str]:
        return [self.description]

    # --- the filing's items: asked once ------------------------------------------------------

    def option_fields(self, user) -> dict[str, forms.Field]:
        return dict(ItemsForm(spec=self.spec).fields)

    def clean_options(self, user, options: dict) -> dict:
        """The filing's items checked by the one checker (the sheet comes with the file)."""
        cleaned = o_kinds.clean_values(self.listed, options, rows=None)
        errors = {k: v for k, v in cleaned.errors.items() if k != SHEET_ERRORS}
        if errors:
            raise ValidationError(errors)
        return cleaned.items

    # --- the rows ------------------------------------------------------------------------------

    def _values(self, row, columns: list[Column]) -> dict:
        return {c.name: c.to_code(row.values.get(c.name, "")) for c in columns}

    def validate(self, job, rows) -> list[Prepared]:
        """Check every row with ``clean_values`` at once (the duplicate check spans the file)."""
        columns = self.columns(job.user)
        values = [self._values(row, columns) for row in rows]
        cleaned = o_kinds.clean_values(self.listed, job.options, values)
        errors = _row_errors(cleaned.errors, rows, values, columns)
        return [
            Prepared(row=row, errors=errors.get(index, []), data={"values": values[index]})
            for index, row in enumerate(rows)
        ]

    def submit(self, job, prepared: list[Prepared]) -> list[Outcome]:
        """File the rows as one filing; rows the service refuses are left out and the others
        filed (BK-3); a refusal of the filing as a whole is reported on every row."""
        kind = self.kind()
        columns = self.columns(job.user)
        pending = list(prepared)
        outcomes: dict[int, Outcome] = {}
        while pending:
            try:
                filing = o_services.ofiling_submit(
                    user=job.user,
                    kind=kind,
                    items=job.options,
                    rows=[item.data["values"] for item in pending],
                    token=filing_token(job),
                )
            except ValidationError as exc:
                by_row = _row_errors(
                    exc.error_dict if hasattr(exc, "error_dict") else {"": exc.error_list},
                    [item.row for item in pending],
                    [item.data["values"] for item in pending],
                    columns,
                )
                whole = by_row.get(None)
                refused = {i: found for i, found in by_row.items() if i is not None}
                if whole or not refused:
                    for item in pending:
                        number = item.row.row_number
                        outcomes[number] = Outcome(row_number=number, errors=whole or _errors(exc))
                    break
                kept = []
                for index, item in enumerate(pending):
                    if index in refused:
                        number = item.row.row_number
                        outcomes[number] = Outcome(row_number=number, errors=refused[index])
                    else:
                        kept.append(item)
                pending = kept
                continue
            for item in pending:
                number = item.row.row_number
                outcomes[number] = Outcome(row_number=number, obj=filing, number=filing.number)
            break
        return [outcomes[item.row.row_number] for item in prepared]


_FILING_TOKENS = uuid.UUID("0b9f3c52-7c1e-4f7a-8a51-3e6d2c4b9a70")


def filing_token(job) -> uuid.UUID:
    """The filing's token, one per job: a rerun finds the filing it made (a refused attempt
    creates nothing, so the retry with fewer rows uses the same token)."""
    return uuid.uuid5(_FILING_TOKENS, f"bulk-job-{job.pk}")


def _errors(exc: ValidationError) -> list[CellError]:
    return [
        CellError(column="", message=str(message), code="")
        for message in (exc.messages or [_("The filing was refused.")])
    ]


def _messages(errors: list[ValidationError]) -> list[tuple[str, str]]:
    found = []
    for error in errors:
        for one in error.error_list if hasattr(error, "error_list") else [error]:
            message = one.message % one.params if one.params else one.message
            found.append((str(message), one.code or ""))
    return found


def _row_errors(
    errors: dict[str, list[ValidationError]], rows: list, values: list[dict], columns
) -> dict[int | None, list[CellError]]:
    """Spread ``clean_values``' (or the service's) errors over the file's rows: an error of row
    ``index`` (key ``workers-<index>-<code>``) to that row's cell; a repeated card number to
    the rows holding it; an error of the filing as a whole (its items, the window, the
    organization) under ``None`` and on every row."""
    choices = {c.name: c.choices for c in columns}
    by_row: dict[int | None, list[CellError]] = {}
    whole: list[CellError] = []
    for key, found in errors.items():
        index, code = _split(key)
        if index is not None:
            column = code if code in choices else ""
            by_row.setdefault(index, []).extend(
                with_allowed_values(CellError(column, message, error_code), choices.get(column, ()))
                for message, error_code in _messages(found)
            )
            continue
        for message, error_code in _messages(found):
            if key == SHEET_ERRORS and error_code == "duplicate_person":
                for twin in _duplicates(values):
                    by_row.setdefault(twin, []).append(
                        CellError("card_number", message, error_code)
                    )
                continue
            whole.append(CellError("", message, error_code))
    if whole:
        by_row[None] = whole
        for index in range(len(rows)):
            by_row.setdefault(index, []).extend(whole)
    return by_row


def _split(key: str) -> tuple[int | None, str]:
    parts = key.split("-", 2)
    if len(parts) == 3 and parts[0] == SHEET_ERRORS and parts[1].isdigit():
        return int(parts[1]), parts[2]
    return None, key


def _duplicates(values: list[dict]) -> list[int]:
    """Rows whose card number (as the checker normalises it) is on another row too."""
    numbers: dict[str, list[int]] = {}
    item = next(i for i in o_kinds.PERSON_ITEMS if i.code == "card_number")
    for index, row in enumerate(values):
        try:
            number, _notice = o_kinds.clean_value(item, row.get("card_number", ""))
        except ValidationError:
            continue
        numbers.setdefault(number, []).append(index)
    return sorted(i for found in numbers.values() if len(found) > 1 for i in found)


def service_o_kinds() -> list[RowKind]:
    """One kind per service O kind whose sheet lists several people."""
    found: list[RowKind] = []
    for kind in ServiceOKind.objects.all():
        spec = o_kinds.spec_for(kind)
        if spec is not None and o_kinds.sheet_multiple(kind, spec):
            found.append(ServiceOSheetKind(kind))
    return found


register_family("service_o", service_o_kinds)
