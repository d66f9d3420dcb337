"""The audit trail filter (BO-8, SEC-6). Criteria go to the session, never into the URL."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from .forms import OfficerForm, _date_field


class AuditFilterForm(OfficerForm):
    date_from = _date_field(_("From (date)"), required=False)
    date_to = _date_field(_("To (date)"), required=False)
    actor = forms.CharField(
        label=_("Who"),
        max_length=200,
        required=False,
        help_text=_("The auth ID or user number of the person who acted, exactly."),
    )
    action = forms.CharField(
        label=_("Action"),
        max_length=100,
        required=False,
        help_text=_("The action or its beginning, e.g. cards.card or account.viewed."),
    )
    object_type = forms.CharField(
        label=_("Object type"),
        max_length=100,
        required=False,
        help_text=_("e.g. cards.residencecard, accounts.user, portal.notice."),
    )
    object_id = forms.CharField(label=_("Object number"), max_length=64, required=False)

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error(
                "date_to", _("To (date) is before From (date). Enter a date on or after it.")
            )
        return data

    def criteria(self) -> dict:
        """The cleaned criteria, JSON-safe for the session (empty strings for blanks)."""
        data = self.cleaned_data
        return {
            "date_from": data["date_from"].isoformat() if data.get("date_from") else "",
            "date_to": data["date_to"].isoformat() if data.get("date_to") else "",
            "actor": data.get("actor", "").strip(),
            "action": data.get("action", "").strip(),
            "object_type": data.get("object_type", "").strip().lower(),
            "object_id": data.get("object_id", "").strip(),
        }

    @staticmethod
    def initial_from(criteria: dict | None) -> dict:
        if not criteria:
            return {}
        initial = dict(criteria)
        for name in ("date_from", "date_to"):
            initial[name] = dt.date.fromisoformat(criteria[name]) if criteria[name] else None
        return initial
