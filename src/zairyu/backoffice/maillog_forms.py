"""The mail log filter (BO-9). Criteria go to the session, never into the URL."""

from __future__ import annotations

from django import forms
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from zairyu.mail.models import Mail

from .forms import OfficerForm


class MailFilterForm(OfficerForm):
    state = forms.ChoiceField(
        label=_("State"),
        choices=[("", _("Any state")), *Mail.State.choices],
        required=False,
    )
    recipient = forms.CharField(
        label=_("Recipient's e-mail address"), max_length=254, required=False
    )

    def __init__(self, *args, partial: bool = False, **kwargs):
        """``partial``: the reader sees full addresses and may search by part of one; others
        must type the caller's whole address (no fishing for addresses through the filter)."""
        super().__init__(*args, **kwargs)
        self.partial = partial
        self.fields["recipient"].help_text = (
            _("The address or part of it.")
            if partial
            else _("The caller's whole address, e.g. name@example.com.")
        )

    def clean_recipient(self) -> str:
        recipient = self.cleaned_data["recipient"].strip()
        if recipient and not self.partial:
            try:
                validate_email(recipient)
            except forms.ValidationError:
                raise forms.ValidationError(
                    _(
                        "Recipient's e-mail address is not a whole address. Enter it in full, "
                        "e.g. name@example.com."
                    ),
                    code="invalid",
                ) from None
        return recipient

    def criteria(self) -> dict:
        return {"state": self.cleaned_data["state"], "recipient": self.cleaned_data["recipient"]}
