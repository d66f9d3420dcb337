"""Input of service O (OF-4): the fields come from ``kinds.SPECS`` and every value is checked by
``kinds.clean_values`` — the same function the services, bulk upload and the API call — so a
form holds no rule. Errors are shown by each field and in the summary at the top (FMT-8).

A filing with a sheet has one small form per row (prefix ``workers-<n>``, the same keys the
services use in their errors); "Add a row" re-shows the page with one more, without JS.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.forms.utils import ErrorDict
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from . import kinds

ROW_COUNT_FIELD = "row_count"
ADD_ROW = "add_row"
START_ROWS_MULTIPLE = 3


def _field(item: kinds.Item) -> forms.Field:
    label = item.label
    common = {"label": label, "required": item.required, "help_text": item.help}
    if item.type == kinds.LONG_TEXT:
        return forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), **common)
    if item.type == kinds.DATE:
        return forms.CharField(
            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), **common
        )
    if item.type == kinds.MONTH:
        return forms.CharField(
            widget=forms.TextInput(attrs={"placeholder": "2026-04", "inputmode": "numeric"}),
            **common,
        )
    if item.type == kinds.CHOICE:
        return forms.ChoiceField(choices=[("", _("Choose")), *kinds.choices(item)], **common)
    if item.type in (kinds.INTEGER, kinds.YEN, kinds.DECIMAL):
        mode = "decimal" if item.type == kinds.DECIMAL else "numeric"
        return forms.CharField(widget=forms.TextInput(attrs={"inputmode": mode}), **common)
    if item.type in (kinds.CARD_NUMBER, kinds.ROMAN_NAME):
        return forms.CharField(
            widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
            **common,
        )
    return forms.CharField(**common)


def _explain_required(form: forms.Form, prefix_label: str = "") -> None:
    for field in form.fields.values():
        label = f"{prefix_label}{field.label}"
        if isinstance(field, forms.ChoiceField):
            field.error_messages["required"] = _("%(field)s: choose one from the list.") % {
                "field": label
            }
            field.error_messages["invalid_choice"] = _("%(field)s: choose one from the list.") % {
                "field": label
            }
        else:
            field.error_messages["required"] = _("%(field)s is empty. Fill it in.") % {
                "field": label
            }


class ItemsForm(forms.Form):
    """The items of one filing."""

    def __init__(self, data=None, *, spec: kinds.KindSpec, **kwargs):
        super().__init__(data, **kwargs)
        for item in spec.items:
            self.fields[item.code] = _field(item)
        _explain_required(self)


class RowForm(forms.Form):
    """One row of a sheet (a worker or a student)."""

    def __init__(self, data=None, *, sheet: kinds.Sheet, number: int, **kwargs):
        super().__init__(data, **kwargs)
        self.number = number
        self.title = sheet.row_label % {"n": number}
        for item in sheet.items:
            self.fields[item.code] = _field(item)
        _explain_required(self, prefix_label=f"{self.title}: ")

    def full_clean(self):
        # A row left wholly empty is ignored (the sheet offers more rows than needed).
        if self.is_bound and self.is_empty():
            self._errors = ErrorDict()
            self.cleaned_data = {}
            return
        super().full_clean()

    def raw(self) -> dict:
        return {name: self.data.get(self.add_prefix(name), "") for name in self.fields}

    def is_empty(self) -> bool:
        return all(not str(value).strip() for value in self.raw().values())


class FilingInput:
    """The whole input of one filing: its items form and its sheet's row forms."""

    def __init__(self, kind, data: QueryDict | None = None, *, content: dict | None = None):
        self.kind = kind
        self.spec = kinds.spec_for(kind)
        self.sheet = self.spec.sheet
        self.multiple = kinds.sheet_multiple(kind, self.spec)
        content = content or {}
        self.form = ItemsForm(data, spec=self.spec, initial=content.get("items") or None)
        self.adding = data is not None and data.get("action") == ADD_ROW
        self.rows: list[RowForm] = []
        if self.sheet is not None:
            stored_rows = content.get("workers") or []
            if data is not None:
                try:
                    count = int(data.get(ROW_COUNT_FIELD, "1"))
                except ValueError:
                    count = 1
                if self.adding:
                    count += 1
            else:
                count = len(stored_rows) or (START_ROWS_MULTIPLE if self.multiple else 1)
            limit = self.sheet.max_rows if self.multiple else 1
            count = max(1, min(count, limit))
            for index in range(count):
                initial = stored_rows[index] if index < len(stored_rows) else None
                self.rows.append(
                    RowForm(
                        data,
                        sheet=self.sheet,
                        number=index + 1,
                        prefix=f"workers-{index}",
                        initial=initial,
                    )
                )
        self.can_add_row = (
            self.sheet is not None and self.multiple and len(self.rows) < (self.sheet.max_rows)
        )
        self.cleaned: kinds.Cleaned | None = None
        self.sheet_errors: list[str] = []

    @property
    def is_bound(self) -> bool:
        return self.form.is_bound

    def raw_items(self) -> dict:
        return {name: self.form.data.get(name, "") for name in self.form.fields}

    def raw_rows(self) -> list[dict]:
        return [row.raw() for row in self.rows]

    def is_valid(self) -> bool:
        if not self.is_bound or self.adding:
            return False
        self.form.is_valid()
        for row in self.rows:
            row.is_valid()
        cleaned = kinds.clean_values(self.kind, self.raw_items(), self.raw_rows())
        self.apply(ValidationError(cleaned.errors) if cleaned.errors else None)
        if self.has_errors():
            return False
        self.cleaned = cleaned
        return True

    def apply(self, exc: ValidationError | None) -> None:  # noqa: C901, PLR0912 - a debt (docs/architecture.md)
        """Show errors (from ``kinds`` or a service) by their field; others in the summary."""
        if exc is None:
            return
        if not hasattr(exc, "error_dict"):
            self.form.add_error(None, exc)
            return
        for key, errors in exc.error_dict.items():
            if key.startswith("workers-"):
                _, index, code = key.split("-", 2)
                row = self.rows[int(index)] if int(index) < len(self.rows) else None
                if row is not None and code in row.fields:
                    if not row.errors.get(code):
                        for error in errors:
                            row.add_error(code, error)
                    continue
            if key in self.form.fields:
                if not self.form.errors.get(key):
                    for error in errors:
                        self.form.add_error(key, error)
                continue
            if key == "workers":
                for error in errors:
                    message = error.message % error.params if error.params else error.message
                    if message not in self.sheet_errors:
                        self.sheet_errors.append(message)
                continue
            for error in errors:
                self.form.add_error(None, error)

    def has_errors(self) -> bool:
        return bool(self.form.errors or self.sheet_errors or any(r.errors for r in self.rows))

    def summary(self) -> list[tuple[str, str]]:
        """(anchor, message) for the summary at the top of the page (FMT-8)."""
        found: list[tuple[str, str]] = []
        for error in self.form.non_field_errors():
            found.append(("", error))
        for message in self.sheet_errors:
            found.append(("#workers", message))
        for bound in self.form:
            for error in bound.errors:
                text = error if str(bound.label) in error else f"{bound.label}: {error}"
                found.append((f"#{bound.auto_id}", text))
        for row in self.rows:
            for bound in row:
                for error in bound.errors:
                    text = error if str(row.title) in error else f"{row.title}: {error}"
                    found.append((f"#{bound.auto_id}", text))
        return found


class WithdrawForm(forms.Form):
    """The filer confirms a withdrawal (取下げ)."""

    confirm = forms.BooleanField(
        label=_("Withdraw this filing"),
        help_text=_("A withdrawn filing cannot be changed or filed again from here."),
        error_messages={"required": _("Tick “Withdraw this filing” to confirm it.")},
    )
