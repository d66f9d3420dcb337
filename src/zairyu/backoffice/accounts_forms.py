"""Back-office forms for accounts (BO-3, ID-2, ID-8, ID-13, ID-19). They parse; the rules are
in ``zairyu.accounts.organizations`` and ``zairyu.accounts.services``.

``OrganizationAccountForm`` lists the items of the paper form 利用者情報登録届出書 in the
form's order; the downloadable template (``registration_form_workbook``) is built from the same
fields, so the officer's screen and the paper the organization fills in never drift apart.
Fields in ``OFFICE_USE`` are what the officer records, not what the organization writes.
"""

from __future__ import annotations

import io

from django import forms
from django.conf import settings
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from zairyu.accounts.models import (
    BACK_OFFICE_CATEGORIES,
    Category,
    StaffIdDocument,
    SubmissionChannel,
)
from zairyu.accounts.organizations import OrganizationData, Registration
from zairyu.cards.models import Organization

from .forms import AddressFields, OfficerForm

SERVICE_N = "n"
SERVICE_O = "o"
SERVICE_CHOICES = [
    (SERVICE_N, _("Notifications on affiliated organizations / by organizations (service N)")),
    (
        SERVICE_O,
        _(
            "Specified skilled worker and support organization notifications, "
            "Japanese-language institution reports (service O)"
        ),
    ),
]
MAIL_LANGUAGE_CHOICES = [("ja", _("Japanese")), ("en", _("English"))]


def _password_field(label) -> forms.CharField:
    return forms.CharField(
        label=label,
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_(
            "As written on the form: 8 to 32 half-width characters mixing letters, digits and "
            "symbols; not containing the auth ID."
        ),
    )


class PasswordTwiceMixin(forms.Form):
    """The officer types the password from the paper twice, so a typo cannot lock anyone out."""

    password = _password_field(_("Password"))
    password_again = forms.CharField(
        label=_("Password (again)"),
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password") != data.get("password_again"):
            self.add_error(
                "password_again",
                forms.ValidationError(
                    _("The two passwords differ. Type the password from the form twice."),
                    code="mismatch",
                ),
            )
        return data


class StaffIdFields(forms.Form):
    """What the officer checked: the submitter works for the organization (000 §1, §2)."""

    submitter_name = forms.CharField(
        label=_("Name of the person who submitted the form"), max_length=100
    )
    submitted_via = forms.ChoiceField(
        label=_("Submitted"),
        choices=SubmissionChannel.choices,
        initial=SubmissionChannel.COUNTER,
        widget=forms.RadioSelect,
    )
    staff_id_document = forms.ChoiceField(
        label=_("Document showing the submitter works there"),
        choices=StaffIdDocument.choices,
        widget=forms.RadioSelect,
    )
    staff_id_note = forms.CharField(
        label=_("Note on the document"),
        max_length=200,
        required=False,
        help_text=_("E.g. the staff number seen, or what was masked on a health insurance card."),
    )
    # Not required by the form on purpose: the service refuses with its own message (FMT-8).
    staff_id_checked = forms.BooleanField(
        label=_("I have checked this document against the organization named on the form"),
        required=False,
    )


class OrganizationFields(AddressFields, OfficerForm):
    name = forms.CharField(
        label=_("Name of the organization (機関の名称)"),
        max_length=200,
        help_text=_("As registered; full-width Japanese characters (JIS level 1 and 2)."),
    )
    name_en = forms.CharField(label=_("Name in English"), max_length=200, required=False)
    corporate_number = forms.CharField(
        label=_("Corporate number (法人番号)"),
        max_length=20,
        required=False,
        help_text=_("13 digits; required for a corporation, empty otherwise."),
    )
    kind = forms.ChoiceField(label=_("Kind of organization"), choices=Organization.Kind.choices)


class AccountFields(PasswordTwiceMixin, StaffIdFields, OfficerForm):
    auth_id = forms.CharField(
        label=_("Auth ID (認証ID)"),
        max_length=40,
        strip=False,
        help_text=_(
            "As written on the form: 6 to 20 half-width letters, digits and symbols; upper and "
            "lower case differ. It can never be changed."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none"}),
    )
    email = forms.EmailField(label=_("E-mail address"), max_length=254)
    services = forms.MultipleChoiceField(
        label=_("Systems the organization uses"),
        choices=SERVICE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Only a Japanese-language educational institution may use both."),
    )
    language = forms.ChoiceField(
        label=_("Language of the mails"),
        choices=MAIL_LANGUAGE_CHOICES,
        initial="ja",
        widget=forms.RadioSelect,
    )

    def registration(self) -> Registration:
        data = self.cleaned_data
        services = set(data.get("services") or [])
        return Registration(
            auth_id=data["auth_id"],
            email=data["email"],
            password=data["password"],
            uses_service_n=SERVICE_N in services,
            uses_service_o=SERVICE_O in services,
            submitter_name=data["submitter_name"],
            submitted_via=data["submitted_via"],
            staff_id_checked=bool(data.get("staff_id_checked")),
            staff_id_document=data["staff_id_document"],
            staff_id_note=data.get("staff_id_note") or "",
            language=data["language"],
        )


ACCOUNT_ORDER = [
    "auth_id",
    "email",
    "services",
    "password",
    "password_again",
    "language",
    "submitter_name",
    "submitted_via",
    "staff_id_document",
    "staff_id_note",
    "staff_id_checked",
]
ORGANIZATION_ORDER = [
    "name",
    "name_en",
    "corporate_number",
    "kind",
    "prefecture",
    "municipality",
    "street",
]
# Recorded by the officer, not written by the organization.
OFFICE_USE = {"submitted_via", "staff_id_document", "staff_id_note", "staff_id_checked"}
# Not repeated on paper.
NOT_ON_PAPER = {"password_again"}


class ExistingOrganizationAccountForm(AccountFields):
    """An account for an organization already in the registry."""

    field_order = ACCOUNT_ORDER


class OrganizationAccountForm(OrganizationFields, AccountFields):
    """A new organization and its account, in the order of the paper form."""

    field_order = ORGANIZATION_ORDER + ACCOUNT_ORDER

    def organization_data(self) -> OrganizationData:
        data = self.cleaned_data
        return OrganizationData(
            name=data["name"],
            name_en=data.get("name_en") or "",
            corporate_number=data.get("corporate_number") or "",
            kind=data["kind"],
            prefecture_id=data["prefecture"].pk,
            municipality_id=data.get("municipality") or None,
            street=data["street"],
        )


class OrganizationSearchForm(OfficerForm):
    corporate_number = forms.CharField(label=_("Corporate number"), max_length=20, required=False)
    name = forms.CharField(label=_("Name of the organization"), max_length=100, required=False)

    def clean(self):
        data = super().clean()
        if not self.errors and not (data.get("corporate_number") or data.get("name")):
            raise forms.ValidationError(
                _("Enter a corporate number or part of the name to search."), code="empty"
            )
        number = (data.get("corporate_number") or "").replace("-", "").replace(" ", "")
        data["corporate_number"] = number
        return data


ACCOUNT_CATEGORY_CHOICES = [("", "---------")] + [
    (value, label) for value, label in Category.choices if value not in BACK_OFFICE_CATEGORIES
]


class AccountSearchForm(OfficerForm):
    auth_id = forms.CharField(
        label=_("Auth ID"),
        max_length=20,
        required=False,
        strip=False,
        help_text=_("Whole or the beginning; upper and lower case differ."),
    )
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        required=False,
        help_text=_("Part of the user's or the organization's name."),
    )
    email = forms.CharField(label=_("E-mail address"), max_length=254, required=False)
    category = forms.ChoiceField(
        label=_("User category"), choices=ACCOUNT_CATEGORY_CHOICES, required=False
    )

    def clean(self):
        data = super().clean()
        if not self.errors and not any(
            (data.get(f) or "").strip() for f in ("auth_id", "name", "email", "category")
        ):
            raise forms.ValidationError(
                _("Enter an auth ID, a name, an e-mail address or a category to search."),
                code="empty",
            )
        return data

    def criteria(self) -> dict:
        data = self.cleaned_data
        return {
            "auth_id": (data.get("auth_id") or "").strip(),
            "name": (data.get("name") or "").strip(),
            "email": (data.get("email") or "").strip(),
            "category": data.get("category") or "",
        }


class StaffIdCheckForm(StaffIdFields, OfficerForm):
    """For requests on paper (認証ID・パスワード確認等申出書): who asked, and what was checked."""

    field_order = [
        "submitter_name",
        "submitted_via",
        "staff_id_document",
        "staff_id_note",
        "staff_id_checked",
    ]

    def clean(self):
        data = super().clean()
        if not data.get("staff_id_checked"):
            self.add_error(
                "staff_id_checked",
                forms.ValidationError(
                    _(
                        "Check the document showing that the submitter works for the "
                        "organization before acting on the request."
                    ),
                    code="staff_id_not_checked",
                ),
            )
        return data

    def paper(self) -> dict:
        data = self.cleaned_data
        return {
            "submitter_name": data["submitter_name"],
            "submitted_via": data["submitted_via"],
            "staff_id_document": data["staff_id_document"],
        }


class PasswordReissueForm(PasswordTwiceMixin, StaffIdCheckForm):
    field_order = ["password", "password_again", *StaffIdCheckForm.field_order]


class ReasonForm(OfficerForm):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Shown to the user in the mail, e.g. “credentials leaked (request of 1 April)”."
        ),
    )


class OptionalReasonForm(ReasonForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = False


class ConfirmForm(OfficerForm):
    """An action with nothing to type (unlock): the button is the confirmation."""


# --- The downloadable paper form (ID-2) --------------------------------------------------------


def _choices_text(field: forms.Field) -> str:
    choices = getattr(field, "choices", None)
    if not choices:
        return ""
    return " / ".join(f"□ {label}" for value, label in choices if value not in ("", None))


def registration_form_workbook() -> bytes:
    """Return the paper form 利用者情報登録届出書 as an .xlsx (no macros), in the active
    language, built from ``OrganizationAccountForm``'s fields."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.worksheet.page import PageMargins

    form = OrganizationAccountForm()
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = gettext("Registration form")[:31]
    thin = Side(style="thin", color="000000")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    wrap = Alignment(wrap_text=True, vertical="top")
    shade = PatternFill("solid", fgColor="EEEEEE")
    sheet.column_dimensions["A"].width = 38
    sheet.column_dimensions["B"].width = 48
    sheet.column_dimensions["C"].width = 52

    sheet["A1"] = "利用者情報登録届出書"
    sheet["A1"].font = Font(size=16, bold=True)
    sheet["A2"] = gettext(
        "User registration form for organizations (e-Notification System). Fill in the white "
        "cells and submit the form at, or post it to, the regional immigration bureau with "
        "jurisdiction over the organization's address, with a document showing that you work "
        "for the organization (staff ID card, filing agent certificate, certificate of "
        "employment, or a health insurance card naming the organization with its numbers and "
        "QR code masked)."
    )
    sheet["A2"].alignment = wrap
    sheet.merge_cells("A2:C2")
    sheet.row_dimensions[2].height = 75
    row = 4
    sheet.cell(row=row, column=1, value=gettext("Date of submission")).font = Font(bold=True)
    sheet.cell(row=row, column=2).border = box
    row += 2
    for header, col in ((gettext("Item"), 1), (gettext("Entry"), 2), (gettext("Notes"), 3)):
        cell = sheet.cell(row=row, column=col, value=header)
        cell.font = Font(bold=True)
        cell.fill = shade
        cell.border = box
    row += 1

    def write(name: str, field: forms.Field) -> None:
        nonlocal row
        label = str(field.label)
        if field.required:
            label += " *"
        notes = " ".join(t for t in (str(field.help_text or ""), _choices_text(field)) if t)
        for col, value in ((1, label), (2, None), (3, notes)):
            cell = sheet.cell(row=row, column=col, value=value)
            cell.border = box
            cell.alignment = wrap
        sheet.row_dimensions[row].height = 32 if len(notes) < 90 else 60
        row += 1

    office = []
    for name, field in form.fields.items():
        if name in NOT_ON_PAPER:
            continue
        if name in OFFICE_USE:
            office.append((name, field))
            continue
        if name in ("prefecture", "municipality"):
            # Written out on paper; the screen's lists (47 and ~1,900 names) do not print.
            field = forms.CharField(label=field.label, required=field.required)
        write(name, field)
    row += 1
    sheet.cell(row=row, column=1, value=gettext("* required")).font = Font(italic=True)
    row += 2
    title = sheet.cell(row=row, column=1, value=gettext("For office use (do not fill in)"))
    title.font = Font(bold=True)
    row += 1
    for name, field in office:
        write(name, field)
        for col in (1, 2, 3):
            sheet.cell(row=row - 1, column=col).fill = shade
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_margins = PageMargins(left=0.5, right=0.5, top=0.6, bottom=0.6)
    workbook.properties.title = "利用者情報登録届出書"
    workbook.properties.creator = getattr(settings, "ZAIRYU_SITE_URL", "Zairyu")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
