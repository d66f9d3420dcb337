"""Form pieces every app's pages share: the one error adapter and the typed-date field."""

import unicodedata

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from .validators import TYPED_DATE_INPUT_FORMATS


def add_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Show a service's ValidationError on a form: by field where the form has that field,
    in the summary at the top otherwise (FMT-8)."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, errors in exc.error_dict.items():
        target = field if field in form.fields and field != NON_FIELD_ERRORS else None
        for error in errors:
            form.add_error(target, error)


class DateInput(forms.DateInput):
    """The browser's date control, its value in ISO form (what ``TypedDateField`` reads first)."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class TypedDateField(forms.DateField):
    """A date typed as 2026-04-01, 2026/04/01, 2026.04.01 or 20260401; full-width digits too
    (the one reading of a typed date, ``core.validators.parse_typed_date``)."""

    input_formats = list(TYPED_DATE_INPUT_FORMATS)

    def to_python(self, value):
        if isinstance(value, str):
            value = unicodedata.normalize("NFKC", value).strip()
        return super().to_python(value)
