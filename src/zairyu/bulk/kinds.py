"""The registry of row kinds: what a bulk file of one kind holds and how its rows are filed.

A *row kind* is one template: its columns (taken from the same field definitions as the
single-filing form, so labels, choices and checks are the form's), who may use it, the
options that apply to the whole file (e.g. a roster's reference date) and two steps that file
a batch of rows through the same service as a single filing:

- ``validate(job, rows)`` runs outside any transaction: it parses each row with the form and
  matches the valid ones against the registry in one query;
- ``submit(job, prepared)`` runs inside the batch's transaction: it calls the service for each
  valid row and says what became of every row.

Kinds register themselves (``register``) or as a family read from reference data
(``register_family``: e.g. one kind per notification event). See docs/bulk.md.
"""

from __future__ import annotations

import abc
import contextlib
import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext

from zairyu.reference import cache as reference_cache

# --- columns ----------------------------------------------------------------------------------

TEXT = "text"
DATE = "date"
CHOICE = "choice"


@dataclass(frozen=True)
class Column:
    """One column of a template (its ``name`` is the form field's name)."""

    name: str
    label: str
    required: bool = False
    help_text: str = ""
    type: str = TEXT
    choices: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_field(cls, name: str, form_field: forms.Field) -> Column:
        """The column of a form field: its label, whether required, its help and choices."""
        choices: tuple[tuple[str, str], ...] = ()
        kind = TEXT
        if isinstance(form_field, forms.DateField):
            kind = DATE
        elif isinstance(form_field, forms.ChoiceField):
            kind = CHOICE
            choices = tuple(_flat_choices(form_field.choices))
        return cls(
            name=name,
            label=str(form_field.label),
            required=bool(form_field.required),
            help_text=str(form_field.help_text or ""),
            type=kind,
            choices=choices,
        )

    def entry(self, code: str, label: str) -> str:
        """How a choice appears in the template's pull-down list: ``CODE: label``."""
        return f"{code}: {label}" if label and label != code else code

    @property
    def entries(self) -> list[str]:
        return [self.entry(code, label) for code, label in self.choices]

    def to_code(self, value: str) -> str:
        """Read a choice typed or picked in a template: the code, ``CODE: label`` or the label
        (in any case); anything else is returned as typed for the form to refuse."""
        if not self.choices or not value:
            return value
        text = value.strip()
        codes = {code.casefold(): code for code, _ in self.choices}
        if text.casefold() in codes:
            return codes[text.casefold()]
        head = text.split(":", 1)[0].strip().casefold()
        if ":" in text and head in codes:
            return codes[head]
        for code, label in self.choices:
            if text.casefold() == str(label).casefold():
                return code
        return text


def _flat_choices(choices) -> Iterable[tuple[str, str]]:
    for code, label in choices:
        if isinstance(label, list | tuple):  # an option group
            yield from _flat_choices(label)
        elif code not in ("", None):
            yield str(code), str(label)


# --- the outcome of one row ---------------------------------------------------------------------


@dataclass
class CellError:
    column: str  # "" for the row as a whole
    message: str
    code: str = ""

    def as_json(self) -> dict:
        return {"column": self.column, "code": self.code, "message": self.message}


@dataclass
class Outcome:
    """What became of one row: the object it created, or its errors."""

    row_number: int
    obj: models.Model | None = None
    number: str = ""
    errors: list[CellError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.obj is not None and not self.errors


@dataclass
class Prepared:
    """A row after ``validate``: either its errors, or what ``submit`` needs."""

    row: Any  # models.JobRow
    errors: list[CellError] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)


def errors_from(exc: ValidationError, columns: Iterable[str]) -> list[CellError]:
    """Turn a form's or a service's ValidationError into cell errors (FMT-8: each says which
    field, what is wrong and how to fix it); fields that are not columns go to the row."""
    names = set(columns)
    found: list[CellError] = []
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            column = name if name in names else ""
            for error in errors:
                found.extend(_messages(error, column))
    else:
        for error in exc.error_list:
            found.extend(_messages(error, ""))
    return found


def form_errors(form: forms.Form, columns: Iterable[str]) -> list[CellError]:
    names = set(columns)
    found: list[CellError] = []
    for name, errors in form.errors.as_data().items():
        column = name if name in names else ""
        form_field = form.fields.get(name)
        choices = (
            tuple(_flat_choices(form_field.choices))
            if isinstance(form_field, forms.ChoiceField)
            else ()
        )
        for error in errors:
            found.extend(with_allowed_values(e, choices) for e in _messages(error, column))
    return found


# A choice error lists the allowed values when there are this many or fewer ("M or F");
# longer lists (nationalities, municipalities) are in the template's pull-down list.
ALLOWED_VALUES_LISTED = 10


def allowed_values(choices: Iterable[tuple[str, str]]) -> str:
    """ "Allowed values: M or F." for a short list of choices (codes as typed in a file), ""
    for none or more than ``ALLOWED_VALUES_LISTED``."""
    codes = [code for code, _label in choices]
    if not codes or len(codes) > ALLOWED_VALUES_LISTED:
        return ""
    listed = codes[0]
    if len(codes) > 1:
        listed = gettext("%(values)s or %(last)s") % {
            "values": ", ".join(codes[:-1]),
            "last": codes[-1],
        }
    return gettext("Allowed values: %(values)s.") % {"values": listed}


def with_allowed_values(error: CellError, choices: Iterable[tuple[str, str]]) -> CellError:
    """A choice error (code ``invalid_choice``) with the allowed values after the form's
    message (BK-4); any other error as it is."""
    if error.code != "invalid_choice":
        return error
    allowed = allowed_values(choices)
    if allowed and allowed not in error.message:
        error.message = f"{error.message} {allowed}"
    return error


def _messages(error: ValidationError, column: str) -> list[CellError]:
    out = []
    for one in error.error_list if hasattr(error, "error_list") else [error]:
        message = one.message
        if one.params:
            with contextlib.suppress(TypeError, KeyError, ValueError):
                message = message % one.params
        out.append(CellError(column=column, message=str(message), code=one.code or ""))
    return out


def merge_column_errors(errors: list[CellError]) -> list[CellError]:
    """Drop repeated messages (a service marks every card field with the same words)."""
    seen: set[tuple[str, str]] = set()
    kept = []
    for error in errors:
        key = (error.column, error.message)
        if key not in seen:
            seen.add(key)
            kept.append(error)
    return kept


# --- kinds -------------------------------------------------------------------------------------


class RowKind(abc.ABC):
    """One template and how its rows are filed. Subclass, then ``register`` an instance."""

    key: str = ""
    service: str = ""  # "N", "O" or "A": groups kinds on the pages
    # Rows per transaction; 0 = every row of the file in one (e.g. a roster is one filing).
    batch_size: int | None = None
    # True: ``submit`` also gets the rows ``validate`` found errors in, and may record an object
    # for them (service A: an application in エラー(一括登録), BK-5).
    keeps_error_rows: bool = False

    @property
    @abc.abstractmethod
    def title(self) -> str:
        """The kind's name as users see it (the single filing's name)."""

    @property
    def description(self) -> str:
        return ""

    @abc.abstractmethod
    def available_to(self, user) -> bool:
        """Say whether ``user`` may download the template and upload files of this kind."""

    @abc.abstractmethod
    def columns(self, user=None) -> list[Column]:
        """The template's columns, in order (in the active language)."""

    def option_fields(self, user) -> dict[str, forms.Field]:
        """Fields asked once for the whole file on the upload form (none by default)."""
        return {}

    def clean_options(self, user, options: dict) -> dict:
        """Return the options as stored in the job (JSON); raise ValidationError to refuse."""
        return {}

    def instructions(self) -> list[str]:
        """Extra lines for the template's instructions sheet."""
        return []

    @abc.abstractmethod
    def validate(self, job, rows: list) -> list[Prepared]:
        """Parse and check ``rows`` (outside any transaction); one ``Prepared`` per row."""

    @abc.abstractmethod
    def submit(self, job, prepared: list[Prepared]) -> list[Outcome]:
        """File the valid rows through the service (inside the batch transaction); one
        ``Outcome`` per prepared row that had no errors yet."""


_kinds: dict[str, RowKind] = {}
_families: dict[str, Callable[[], Iterable[RowKind]]] = {}


def register(kind: RowKind) -> RowKind:
    if not kind.key:
        raise ValueError("a row kind needs a key")
    _kinds[kind.key] = kind
    return kind


def register_family(name: str, provider: Callable[[], Iterable[RowKind]]) -> None:
    """Register kinds made from reference data (e.g. one per notification event); ``provider``
    is called whenever the kinds are listed, so new reference rows appear without a restart."""
    _families[name] = provider


def all_kinds() -> dict[str, RowKind]:
    """Every kind, the families' read from reference data through the reference cache (a
    change to the reference tables lists the new kinds; ``zairyu.reference.cache``)."""

    def build() -> dict[str, RowKind]:
        found = dict(_kinds)
        for _name, provider in sorted(_families.items()):
            for kind in provider():
                found.setdefault(kind.key, kind)
        return found

    return reference_cache.cached(("bulk.kinds", tuple(sorted(_families))), build)


def get_kind(key: str) -> RowKind | None:
    return all_kinds().get(key)


def kinds_for(user) -> list[RowKind]:
    return [kind for kind in all_kinds().values() if kind.available_to(user)]


def cell_text(value: Any) -> str:
    """A cell's value as the forms take it: text stripped, dates as YYYY-MM-DD, whole numbers
    without ``.0``."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
