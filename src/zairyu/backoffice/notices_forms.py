"""The notice form (BO-7). It parses types; the rules are the model's ``clean`` (service)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from zairyu.portal.models import Notice

from .forms import OfficerForm

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M"]


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


def _datetime_field(label, *, required: bool) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=required,
        widget=DateTimeInput(),
        input_formats=DATETIME_FORMATS,
        help_text=_("Japan time, YYYY-MM-DD HH:MM"),
    )


class NoticeForm(OfficerForm):
    kind = forms.ChoiceField(
        label=_("Kind"), choices=Notice.Kind.choices, widget=forms.RadioSelect, initial="info"
    )
    title_ja = forms.CharField(label=_("Title (Japanese)"), max_length=200)
    body_ja = forms.CharField(label=_("Text (Japanese)"), widget=forms.Textarea(attrs={"rows": 5}))
    title_en = forms.CharField(label=_("Title (English)"), max_length=200, required=False)
    body_en = forms.CharField(
        label=_("Text (English)"), widget=forms.Textarea(attrs={"rows": 5}), required=False
    )
    maintenance_start = _datetime_field(_("Maintenance starts"), required=False)
    maintenance_end = _datetime_field(_("Maintenance ends"), required=False)
    published_from = _datetime_field(_("Shown from"), required=True)
    published_until = _datetime_field(_("Shown until"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("maintenance_start", "maintenance_end", "published_from", "published_until"):
            field = self.fields[name]
            field.error_messages["invalid"] = gettext(
                "%(field)s is not a date and time. Enter it as YYYY-MM-DD HH:MM, "
                "e.g. 2026-04-01 22:00."
            ) % {"field": field.label}
        self.fields["maintenance_start"].help_text = _(
            "Planned maintenance only: when the services become unavailable (Japan time)."
        )
        self.fields["published_until"].help_text = _(
            "Leave empty to show the notice until it is ended (Japan time)."
        )

    @staticmethod
    def initial_from(notice: Notice) -> dict:
        return {name: getattr(notice, name) for name in NoticeForm.base_fields}
