"""The upload form: the file, plus the options a kind asks once for the whole file."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .kinds import RowKind


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("File (.xlsx or .csv)"),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".xlsx,.csv,application/vnd.openxmlformats-officedocument."
                "spreadsheetml.sheet,text/csv"
            }
        ),
    )

    def __init__(self, *args, kind: RowKind, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _(
            "The template filled in, at most %(limit)s rows. Excel workbooks (.xlsx) and CSV "
            "files in UTF-8 or Shift_JIS are accepted."
        ) % {"limit": settings.ZAIRYU_BULK_MAX_ROWS}
        self.kind = kind
        self.option_names = []
        for name, field in kind.option_fields(user).items():
            self.fields[name] = field
            self.option_names.append(name)
        self.order_fields([*self.option_names, "file"])
        explain_required(self.fields)

    def options(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in self.option_names}


def explain_required(fields: dict[str, forms.Field]) -> None:
    """FMT-8: a missing value's message names the field and says what to do."""
    for field in fields.values():
        label = str(field.label)
        if isinstance(field, forms.BooleanField):
            message = _("Tick “%(field)s” to confirm it; without it nothing can be filed.")
        elif isinstance(field, forms.ChoiceField):
            message = _("%(field)s: choose one from the list.")
        elif isinstance(field, forms.FileField):
            message = _("%(field)s: choose the file to upload.")
        else:
            message = _("%(field)s is empty. Fill it in.")
        field.error_messages["required"] = message % {"field": label}
