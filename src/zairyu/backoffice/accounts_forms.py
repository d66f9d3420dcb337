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


class _PaperSheet:
    """The one sheet of the paper form: its styles and the next free row."""

    def __init__(self, sheet) -> None:
        from openpyxl.styles import Alignment, Border, PatternFill, Side

        self.sheet = sheet
        thin = Side(style="thin", color="000000")
        self.box = Border(left=thin, right=thin, top=thin, bottom=thin)
        self.wrap = Alignment(wrap_text=True, vertical="top")
        self.shade = PatternFill("solid", fgColor="EEEEEE")
        self.row = 1

    def heading(self) -> None:
        """The title, how to submit the form, the date line and the table's header."""
        from openpyxl.styles import Font

        sheet = self.sheet
        for column, width in (("A", 38), ("B", 48), ("C", 52)):
            sheet.column_dimensions[column].width = width
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
        sheet["A2"].alignment = self.wrap
        sheet.merge_cells("A2:C2")
        sheet.row_dimensions[2].height = 75
        self.row = 4
        date = sheet.cell(row=self.row, column=1, value=gettext("Date of submission"))
        date.font = Font(bold=True)
        sheet.cell(row=self.row, column=2).border = self.box
        self.row += 2
        for column, header in enumerate((gettext("Item"), gettext("Entry"), gettext("Notes")), 1):
            cell = sheet.cell(row=self.row, column=column, value=header)
            cell.font = Font(bold=True)
            cell.fill = self.shade
            cell.border = self.box
        self.row += 1

    def field(self, field: forms.Field, *, shaded: bool = False) -> None:
        """One row: the field's label (``*`` when required), a box to write in, its notes."""
        label = str(field.label) + (" *" if field.required else "")
        notes = " ".join(t for t in (str(field.help_text or ""), _choices_text(field)) if t)
        for column, value in ((1, label), (2, None), (3, notes)):
            cell = self.sheet.cell(row=self.row, column=column, value=value)
            cell.border = self.box
            cell.alignment = self.wrap
            if shaded:
                cell.fill = self.shade
        self.sheet.row_dimensions[self.row].height = 32 if len(notes) < 90 else 60
        self.row += 1

    def text(self, value: str, *, skip: int = 0, **font) -> None:
        from openpyxl.styles import Font

        self.row += skip
        self.sheet.cell(row=self.row, column=1, value=value).font = Font(**font)
        self.row += 1


def _paper_fields(form: forms.Form) -> tuple[list[forms.Field], list[forms.Field]]:
    """The form's fields as the paper form shows them: (the filer's, the office's)."""
    filer, office = [], []
    for name, field in form.fields.items():
        if name in NOT_ON_PAPER:
            continue
        if name in OFFICE_USE:
            office.append(field)
            continue
        if name in ("prefecture", "municipality"):
            # Written out on paper; the screen's lists (47 and ~1,900 names) do not print.
            field = forms.CharField(label=field.label, required=field.required)
        filer.append(field)
    return filer, office


def registration_form_workbook() -> bytes:
    """Return the paper form 利用者情報登録届出書 as an .xlsx (no macros), in the active
    language, built from ``OrganizationAccountForm``'s fields."""
    from openpyxl import Workbook
    from openpyxl.worksheet.page import PageMargins

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = gettext("Registration form")[:31]
    paper = _PaperSheet(sheet)
    paper.heading()
    filer, office = _paper_fields(OrganizationAccountForm())
    for field in filer:
        paper.field(field)
    paper.text(gettext("* required"), skip=1, italic=True)
    paper.text(gettext("For office use (do not fill in)"), skip=1, bold=True)
    for field in office:
        paper.field(field, shaded=True)
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_margins = PageMargins(left=0.5, right=0.5, top=0.6, bottom=0.6)
    workbook.properties.title = "利用者情報登録届出書"
    workbook.properties.creator = getattr(settings, "ZAIRYU_SITE_URL", "Zairyu")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
