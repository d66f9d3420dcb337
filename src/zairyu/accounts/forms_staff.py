"""Forms of the staff pages (ID-5, ID-10, ID-11). They only parse: the rules (declarations,
corporate number, documents) are checked by ``staff`` so the online and paper paths agree."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from zairyu.cards.models import Organization
from zairyu.core import uploads
from zairyu.reference.models import Prefecture

from . import staff
from .models import StaffDocumentKind

CATEGORY_CHOICES = [(c.value, c.label) for c in staff.STAFF_CATEGORIES]


def _declaration_fields(form: forms.Form) -> None:
    for key, text in staff.DECLARATIONS:
        form.fields[f"declaration_{key}"] = forms.BooleanField(label=text, required=False)


def declarations_of(cleaned: dict) -> dict:
    return {key: bool(cleaned.get(f"declaration_{key}")) for key in staff.DECLARATION_KEYS}


class StaffRequestForm(forms.Form):
    """A request for use (利用申出): the organization, the staff member, 003's requirements and,
    online, 003's documents as PDFs."""

    organization_name = forms.CharField(
        label=_("Organization name"), max_length=200, required=False
    )
    organization_kind = forms.ChoiceField(
        label=_("Kind of organization"), choices=Organization.Kind.choices
    )
    corporation = forms.BooleanField(
        label=_("The organization is a corporation (it has a corporate number)"),
        required=False,
        initial=True,
    )
    corporate_number = forms.CharField(
        label=_("Corporate number (法人番号)"),
        max_length=20,
        required=False,
        help_text=_("13 digits. Leave empty only when the organization is not a corporation."),
    )
    prefecture = forms.ModelChoiceField(
        label=_("Prefecture"), queryset=Prefecture.objects.order_by("code")
    )
    street = forms.CharField(
        label=_("Address (municipality and street)"), max_length=120, required=False
    )
    category = forms.ChoiceField(label=_("Staff member of"), choices=CATEGORY_CHOICES)
    staff_name = forms.CharField(label=_("Staff member's name"), max_length=100, required=False)
    staff_email = forms.EmailField(label=_("Staff member's e-mail address"), required=False)
    contact_email = forms.EmailField(
        label=_("Organization's contact e-mail address"),
        required=False,
        help_text=_("Where the receipt and a refusal are mailed; the staff member's if empty."),
    )
    clients = forms.CharField(
        label=_("Client organizations that asked you to file for them"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Public-interest and RSO staff only: one organization a line."),
    )
    language = forms.ChoiceField(label=_("Language of the mails"), choices=settings.LANGUAGES)

    def __init__(self, *args, with_documents: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        _declaration_fields(self)
        if with_documents:
            for kind in StaffDocumentKind:
                self.fields[f"document_{kind.value}"] = forms.FileField(
                    label=kind.label,
                    required=False,
                    help_text=_("PDF, at most 10 MB.")
                    if kind != StaffDocumentKind.REGISTRY
                    else _("PDF, at most 10 MB. Corporations only."),
                )

    def request_data(self) -> staff.RequestData:
        data = self.cleaned_data
        return staff.RequestData(
            organization_name=data.get("organization_name") or "",
            organization_kind=data.get("organization_kind") or "",
            prefecture_id=data["prefecture"].pk,
            street=data.get("street") or "",
            category=data.get("category") or "",
            staff_name=data.get("staff_name") or "",
            staff_email=data.get("staff_email") or "",
            corporation=bool(data.get("corporation")),
            corporate_number=data.get("corporate_number") or "",
            language=data.get("language") or "ja",
            contact_email=data.get("contact_email") or "",
            clients=data.get("clients") or "",
            declarations=declarations_of(data),
        )

    def documents(self) -> list[tuple[str, str, bytes]]:
        found = []
        for kind in StaffDocumentKind:
            upload = self.cleaned_data.get(f"document_{kind.value}")
            if upload:
                # Never more than one byte past the limit: the check refuses it by size.
                content = upload.read(uploads.limit("ZAIRYU_UPLOAD_PDF_MAX_BYTES") + 1)
                found.append((kind.value, upload.name, content))
        return found


class PeriodicReportForm(forms.Form):
    clients = forms.CharField(
        label=_("Client organizations at this time (public-interest and RSO staff)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One organization a line; the list on file becomes this one when approved."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _declaration_fields(self)


class ChangeReportForm(forms.Form):
    organization_name = forms.CharField(
        label=_("New organization name"), max_length=200, required=False
    )
    street = forms.CharField(label=_("New address"), max_length=120, required=False)
    staff_name = forms.CharField(label=_("New user name"), max_length=100, required=False)


class DeletionForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("Delete my auth ID. I understand that it cannot be used again."),
        required=False,
    )


class ConfirmForm(forms.Form):
    confirm = forms.BooleanField(label=_("I confirm"), required=True)
