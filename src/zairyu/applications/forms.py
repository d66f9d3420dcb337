"""Forms of service A's pages (A-3, A-6..A-8, A-12, A-17). They only parse: each value is
normalised by the shared validators (FMT-3 roman name with commas, FMT-4 JIS text, FMT-5 card
number, FMT-6 corporate number, FMT-7 typed dates, telephone and passport numbers) and every
conversion is shown; the rules
(eligibility, card match, receipt methods, file checks) live in ``rules``, ``uploads`` and
``services``.

Each step form's field names are the keys of ``Application.content[<step>]`` that
``services.draft_save`` stores (see ``STEP_FIELDS``). ``as_content`` turns cleaned data into
what the service takes (dates as ISO text, so drafts are JSON); ``step_form`` builds a step's
form for an application, filled in with what it stores.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from zairyu.core import clock
from zairyu.core.forms import TypedDateField
from zairyu.core.validators import (
    CorporateNumber,
    DateNotInFuture,
    JisX0208Text,
    ResidenceCardNumber,
    RomanName,
    RomanNameForm,
    clean_passport_number,
    clean_phone_number,
    conversion_notice,
    refuse_my_number,
)
from zairyu.filings.labels import local_name
from zairyu.reference.models import Status
from zairyu.reference.selectors import municipalities_for, nationality_choices, prefectures

from .models import (
    ADD_ON_PROCEDURES,
    CARD_PROCEDURES,
    DocumentKind,
    MainProcedure,
    ReceiptMethod,
    Reentry,
    Relationship,
    WithdrawalAddOn,
)
from .rules import application_receipt_methods, category_code

# The steps of A-3 in order (keys of Application.content and of steps_done).
STEP1, PERSONAL1, PERSONAL2, ORGANIZATION, STEP3 = (
    "step1",
    "personal1",
    "personal2",
    "organization",
    "step3",
)
STEPS = (STEP1, PERSONAL1, PERSONAL2, ORGANIZATION, STEP3)

# Periods of stay offered in STEP1 (ISO 8601 like the registry; A-8 reads ≤ 3 months).
PERIODS = [
    ("", _("As the office decides")),
    ("P3M", _("3 months")),
    ("P6M", _("6 months")),
    ("P1Y", _("1 year")),
    ("P3Y", _("3 years")),
    ("P5Y", _("5 years")),
]


def explain_required(form: forms.Form) -> None:
    """FMT-8: a missing value's message names the field and says what to do."""
    for field in form.fields.values():
        label = str(field.label)
        if isinstance(field, forms.FileField):
            message = _("%(field)s: choose a file.")
        elif isinstance(field, forms.BooleanField):
            message = _("Tick “%(field)s” to confirm it.")
        elif isinstance(field, forms.ChoiceField):
            message = _("%(field)s: choose one from the list.")
        elif isinstance(field, forms.DateField):
            message = _("%(field)s is empty. Enter the date, e.g. 2026-04-01.")
        else:
            message = _("%(field)s is empty. Fill it in.")
        field.error_messages["required"] = message % {"field": label}
        if isinstance(field, forms.DateField):
            field.error_messages["invalid"] = _(
                "%(field)s is not a date. Enter it as YYYY-MM-DD, e.g. 2026-04-01."
            ) % {"field": label}
        if isinstance(field, forms.ChoiceField):
            field.error_messages["invalid_choice"] = _(
                "%(field)s: choose one of the values offered."
            ) % {"field": label}


def _as_json(value):
    if isinstance(value, dt.date):
        return value.isoformat()
    if value is None:
        return ""
    return value


class StepForm(forms.Form):
    """A step of A-3: parse, normalise (conversions recorded), hand the content on."""

    step: str = ""

    def __init__(self, data=None, *args, application=None, user=None, **kwargs):
        self.application = application
        self.user = user
        self.conversions: list[str] = []
        if data is not None:
            data = data.copy()  # converted values are shown back (FMT-3/4/5 [B])
        super().__init__(data, *args, **kwargs)
        self.setup()
        explain_required(self)

    def setup(self) -> None:
        """Drop or adapt fields that do not apply (A-3 [B]: never ask what does not apply)."""

    def _normalised(self, name: str, validator) -> str:
        value = self.cleaned_data.get(name)
        if not value:
            return value or ""
        refuse_my_number(value, field=str(self.fields[name].label))
        result = validator.clean(value)
        notice = conversion_notice(result, field=str(self.fields[name].label))
        if notice:
            self.conversions.append(notice)
            self.data[self.add_prefix(name)] = result.value  # the page shows the converted value
        return result.value

    def as_content(self) -> dict:
        """The cleaned values as ``draft_save`` takes them (JSON: dates as ISO text)."""
        return {name: _as_json(self.cleaned_data.get(name)) for name in self.fields}

    @classmethod
    def raw_content(cls, data, fields) -> dict:
        """What was typed, for a partial save while typing (A-9): the service checks formats."""
        content = {}
        for name in fields:
            if name in data:
                value = data.get(name)
                content[name] = value.strip() if isinstance(value, str) else value
            elif isinstance(fields[name], forms.BooleanField):
                content[name] = False
        return content


# --- STEP1 -----------------------------------------------------------------------------------


def status_choices(on: dt.date | None = None) -> list:
    on = on or clock.today()
    rows = [s for s in Status.objects.filter(online_eligible=True) if s.is_current(on)]
    return [("", _("Choose")), *[(s.pk, local_name(s)) for s in rows]]


class Step1Form(StepForm):
    """STEP1: the procedure and the status (A-1); add-ons only with change / extension /
    acquisition (002 Q1-4)."""

    step = STEP1

    procedure = forms.ChoiceField(
        label=_("Procedure"),
        choices=MainProcedure.choices,
        widget=forms.RadioSelect,
        help_text=_(
            "Permanent residence and residence card procedures cannot be applied for online."
        ),
    )
    status = forms.ChoiceField(
        label=_("Status of residence"),
        required=False,
        help_text=_(
            "The status applied for (an extension: the status on the residence card). Not "
            "needed for a certificate of authorized employment."
        ),
    )
    period_requested = forms.ChoiceField(
        label=_("Period of stay applied for"), choices=PERIODS, required=False
    )
    reentry = forms.ChoiceField(
        label=_("Re-entry permit"),
        choices=Reentry.choices,
        required=False,
        widget=forms.RadioSelect,
        help_text=_(
            "Only together with a change of status, an extension or an acquisition of status."
        ),
    )
    other_activity = forms.BooleanField(
        label=_("Also apply for permission to engage in other activities"),
        required=False,
        help_text=_(
            "Only together with a change of status, an extension or an acquisition of status."
        ),
    )

    def setup(self) -> None:
        self.fields["status"].choices = status_choices()
        self.fields["reentry"].initial = ""

    def clean(self):
        data = super().clean()
        procedure = data.get("procedure")
        if procedure and procedure != MainProcedure.WORK_CERTIFICATE and not data.get("status"):
            self.add_error(
                "status",
                ValidationError(
                    _("Status of residence: choose the status this application is for."),
                    code="required",
                ),
            )
        if procedure and procedure not in ADD_ON_PROCEDURES:
            data["reentry"], data["other_activity"] = "", False
        return data

    def start_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "procedure": data["procedure"],
            "status": data.get("status") or None,
            "period_requested": data.get("period_requested") or "",
            "reentry": data.get("reentry") or "",
            "other_activity": bool(data.get("other_activity")),
        }


# --- STEP2-1 ---------------------------------------------------------------------------------


def prefecture_choices() -> list:
    japanese = (get_language() or "ja").startswith("ja")
    return [
        ("", _("Choose")),
        *[(p.code, p.name_ja if japanese else f"{p.name_en} ({p.name_ja})") for p in prefectures()],
    ]


def municipality_choices(prefecture: str | None) -> list:
    if not prefecture:
        return [("", _("Choose"))]
    try:
        rows = municipalities_for(prefecture)
    except (ValidationError, LookupError, ValueError):
        rows = []
    return [("", _("Choose")), *[(m.code, m.name_ja) for m in rows]]


class Personal1Form(StepForm):
    """STEP2-1: the applicant as printed on the residence card (002 Q4-21): nationality, name
    (parts separated by commas), sex, date of birth, address (prefecture, municipality)."""

    step = PERSONAL1

    relationship = forms.ChoiceField(
        label=_("Your relationship to the applicant"),
        choices=[c for c in Relationship.choices if c[0]],
    )
    nationality = forms.ChoiceField(label=_("Nationality or region"))
    roman_name = forms.CharField(
        label=_("Name (roman letters)"),
        max_length=200,
        help_text=_(
            "As printed on the residence card (or passport), the parts separated by commas, "
            "e.g. HOUMU,MIDDLE,TAROU. Spaces, lower case and full-width letters are converted."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )
    sex = forms.ChoiceField(
        label=_("Sex"), choices=[("", "—"), ("M", _("Male (M)")), ("F", _("Female (F)"))]
    )
    birth_date = TypedDateField(
        label=_("Date of birth"),
        help_text=_("e.g. 1990-04-01."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        validators=[DateNotInFuture(field=_("Date of birth"), birth=True)],
    )
    event_date = TypedDateField(
        label=_("Date of birth or of the event giving rise to the acquisition"),
        required=False,
        help_text=_(
            "Acquisition of status: apply within 30 days of the birth (or of the loss of "
            "Japanese nationality). Empty: the date of birth."
        ),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        validators=[DateNotInFuture(field=_("Date of the event"))],
    )
    prefecture = forms.ChoiceField(label=_("Address: prefecture"))
    municipality = forms.ChoiceField(
        label=_("Address: municipality"),
        help_text=_(
            "Choose the prefecture first. As on the card (the latest address may be on the back)."
        ),
    )
    address = forms.CharField(
        label=_("Address: town, street and number"),
        max_length=200,
        required=False,
        help_text=_("In full-width characters (half-width is converted)."),
    )
    phone = forms.CharField(
        label=_("Telephone number"),
        max_length=20,
        required=False,
        help_text=_("Optional. e.g. 090-1234-5678."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "tel"}),
    )
    passport_number = forms.CharField(
        label=_("Passport number"),
        max_length=20,
        required=False,
        help_text=_("Optional."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )
    kanji_name = forms.CharField(
        label=_("Name in kanji (if any)"),
        max_length=120,
        required=False,
        help_text=_("Only if the applicant has a name written in kanji."),
    )
    kanji_name_requested = forms.BooleanField(
        label=_("Print the name in kanji on the new residence card"),
        required=False,
        help_text=_(
            "The request is handed in at the counter, so the card can then be received only at "
            "the counter, unless the current card already shows the kanji name."
        ),
    )

    def setup(self) -> None:
        application = self.application
        procedure = application.procedure_id if application is not None else ""
        self.fields["nationality"].choices = [
            ("", _("Choose")),
            *nationality_choices(order="english", language=get_language()),
        ]
        self.fields["prefecture"].choices = prefecture_choices()
        prefecture = (self.data.get(self.add_prefix("prefecture")) if self.is_bound else None) or (
            self.initial.get("prefecture")
        )
        self.fields["municipality"].choices = municipality_choices(prefecture)
        code = category_code(self.user) if self.user is not None else None
        if code not in ("legal_representative", "relative"):
            del self.fields["relationship"]
        elif code == "legal_representative":
            self.fields["relationship"].choices = [
                ("", _("Choose")),
                *[
                    c
                    for c in Relationship.choices
                    if c[0] in ("parental_authority", "minor_guardian", "adult_guardian")
                ],
            ]
        else:
            self.fields["relationship"].choices = [
                ("", _("Choose")),
                *[c for c in Relationship.choices if c[0] in ("spouse", "child", "parent")],
            ]
        if procedure != MainProcedure.ACQUISITION:
            del self.fields["event_date"]
        if procedure == MainProcedure.COE:
            # The applicant lives abroad: no address in Japan (A-3 [B]).
            for name in ("prefecture", "municipality", "address"):
                del self.fields[name]
        if procedure not in CARD_PROCEDURES:
            del self.fields["kanji_name_requested"]
        if procedure != MainProcedure.COE:
            del self.fields["passport_number"]

    def clean_roman_name(self) -> str:
        return self._normalised(
            "roman_name", RomanName(RomanNameForm.COMMAS, field=_("Name (roman letters)"))
        )

    def clean_phone(self) -> str:
        return clean_phone_number(self.cleaned_data.get("phone"), field=_("Telephone number"))

    def clean_passport_number(self) -> str:
        return clean_passport_number(
            self.cleaned_data.get("passport_number"), field=_("Passport number")
        )

    def clean_address(self) -> str:
        return self._normalised(
            "address",
            JisX0208Text(field=_("Address: town, street and number"), convert_halfwidth=True),
        )

    def clean_kanji_name(self) -> str:
        return self._normalised(
            "kanji_name", JisX0208Text(field=_("Name in kanji"), convert_halfwidth=True)
        )


# --- STEP2-2 ---------------------------------------------------------------------------------


class Personal2Form(StepForm):
    """STEP2-2: the residence card number and validity, matched with the registry by the
    service together with STEP2-1 (without saying which field differs, 002 Q4-21)."""

    step = PERSONAL2

    card_number = forms.CharField(
        label=_("Residence card number"),
        max_length=40,
        help_text=_("12 characters at the top right of the card, e.g. AB12345678CD."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )
    card_valid_until = TypedDateField(
        label=_("Residence card valid until"),
        help_text=_("As printed on the card (このカードは…まで有効), e.g. 2028-04-01."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def clean_card_number(self) -> str:
        return self._normalised(
            "card_number", ResidenceCardNumber(field=_("Residence card number"))
        )


# --- STEP2-3 ---------------------------------------------------------------------------------


class OrganizationForm(StepForm):
    """STEP2-3: the organization the applicant works or studies at (asked only where it
    applies, 002 Q4-22, Q5-11); staff apply for their own organization (prefilled)."""

    step = ORGANIZATION

    organization_name = forms.CharField(
        label=_("Name of the organization"),
        max_length=200,
        help_text=_("As registered, e.g. 株式会社法務商事. Half-width characters are converted."),
    )
    corporate_number = forms.CharField(
        label=_("Corporate number"),
        max_length=30,
        required=False,
        help_text=_("法人番号, 13 digits. Optional: enter it when the organization has one."),
    )
    organization_prefecture = forms.ChoiceField(label=_("Prefecture of the organization"))
    organization_municipality = forms.ChoiceField(
        label=_("Municipality of the organization"), required=False
    )
    organization_address = forms.CharField(
        label=_("Address of the organization (town, street and number)"),
        max_length=200,
        required=False,
        help_text=_("In full-width characters (half-width is converted)."),
    )
    organization_phone = forms.CharField(
        label=_("Telephone number of the organization"),
        max_length=20,
        required=False,
        help_text=_("e.g. 03-1234-5678."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "tel"}),
    )

    def setup(self) -> None:
        self.fields["organization_prefecture"].choices = prefecture_choices()
        prefecture = (
            self.data.get(self.add_prefix("organization_prefecture")) if self.is_bound else None
        ) or self.initial.get("organization_prefecture")
        self.fields["organization_municipality"].choices = municipality_choices(prefecture)

    def clean_organization_name(self) -> str:
        return self._normalised(
            "organization_name",
            JisX0208Text(field=_("Name of the organization"), convert_halfwidth=True),
        )

    def clean_organization_address(self) -> str:
        return self._normalised(
            "organization_address",
            JisX0208Text(
                field=_("Address of the organization (town, street and number)"),
                convert_halfwidth=True,
            ),
        )

    def clean_corporate_number(self) -> str:
        value = self.cleaned_data.get("corporate_number")
        if not value:
            return ""
        return CorporateNumber(field=_("Corporate number")).clean(value).value

    def clean_organization_phone(self) -> str:
        return clean_phone_number(
            self.cleaned_data.get("organization_phone"),
            field=_("Telephone number of the organization"),
        )


# --- STEP3 -----------------------------------------------------------------------------------


class Step3Form(StepForm):
    """STEP3: receipt method (only those offered, A-8) and the applicant's notification
    e-mail address (mandatory, 002 Q4-30). Documents and the photo have their own forms."""

    step = STEP3

    receipt_method = forms.ChoiceField(
        label=_("How the result is received"), widget=forms.RadioSelect
    )
    applicant_email = forms.EmailField(
        label=_("Applicant's notification e-mail address"),
        help_text=_(
            "The applicant's own address: the receipt mails (provisional and receipt numbers) go "
            "there too. If the applicant has none, an address where they can read the mails."
        ),
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args, methods=(), **kwargs):
        self.methods = list(methods)
        super().__init__(*args, **kwargs)

    def setup(self) -> None:
        self.fields["receipt_method"].choices = [
            (value, label) for value, label in ReceiptMethod.choices if value in self.methods
        ]


class DocumentForm(forms.Form):
    """One PDF with the document it is (A-6); checked by ``uploads`` in the service."""

    kind = forms.ChoiceField(label=_("Document"), choices=DocumentKind.choices)
    file = forms.FileField(
        label=_("PDF file"),
        help_text=_(
            "A PDF without password or print/copy restrictions; at most %(file_mb)s MB a file "
            "and %(total_mb)s MB in all."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
    )
    over_limit_declaration = forms.BooleanField(
        label=_("More documents follow when the office opens re-attachment (参考様式9 attached)"),
        required=False,
    )

    def __init__(self, *args, file_mb: str = "10", total_mb: str = "25", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", _("Choose")), *DocumentKind.choices]
        self.fields["file"].help_text = self.fields["file"].help_text % {
            "file_mb": file_mb,
            "total_mb": total_mb,
        }
        explain_required(self)


class PhotoForm(forms.Form):
    """The face photo (A-7): JPEG, at most 50 KB, checked by ``uploads`` in the service."""

    photo = forms.FileField(
        label=_("Face photo (JPEG)"),
        help_text=_(
            "JPEG (.jpg), at most 50 KB; the applicant alone, facing the front, no hat, no "
            "background."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,.jpg,.jpeg"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        explain_required(self)


# --- after submission ------------------------------------------------------------------------


def withdrawal_add_ons(application) -> list[str]:
    """002 Q4-33: the add-ons filed with ``application`` that can be withdrawn on their own."""
    return [
        value
        for value, applied in (
            (WithdrawalAddOn.REENTRY, application.reentry),
            (WithdrawalAddOn.OTHER_ACTIVITY, application.other_activity),
        )
        if applied
    ]


class AddOnChoiceField(forms.ChoiceField):
    """Offers only the add-ons the application has, but lets every known value through to the
    service, which refuses one the application lacks with its own reason (``add_on_not_applied``,
    002 Q4-33); an unknown value is ``invalid_choice`` here."""

    def valid_value(self, value):
        return value in WithdrawalAddOn.values


class WithdrawalForm(forms.Form):
    add_on = AddOnChoiceField(
        label=_("What to withdraw"),
        required=False,
        widget=forms.RadioSelect,
        help_text=_(
            "A re-entry permit or a permission for other activity filed with this application "
            "can be withdrawn on its own; the application itself then continues."
        ),
    )
    reason = forms.CharField(
        label=_("Reason for the withdrawal"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("The office decides on the request; you get a mail when it is withdrawn."),
    )

    def __init__(self, *args, application=None, **kwargs):
        super().__init__(*args, **kwargs)
        add_ons = withdrawal_add_ons(application) if application is not None else []
        labels = dict(WithdrawalAddOn.choices)
        field = self.fields["add_on"]
        field.choices = [(value, labels[value]) for value in (WithdrawalAddOn.NONE, *add_ons)]
        field.initial = WithdrawalAddOn.NONE
        if not add_ons:  # nothing filed with it: only the whole application can be withdrawn
            field.widget = forms.HiddenInput()
        explain_required(self)

    def clean_add_on(self):
        return self.cleaned_data.get("add_on") or ""


class ReceiptMethodForm(forms.Form):
    receipt_method = forms.ChoiceField(
        label=_("How the result is received"), widget=forms.RadioSelect
    )

    def __init__(self, *args, methods=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["receipt_method"].choices = [
            (value, label) for value, label in ReceiptMethod.choices if value in methods
        ]
        explain_required(self)


class AmendNoteForm(forms.Form):
    note = forms.CharField(
        label=_("What was corrected"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Optional: a short note for the office, e.g. “wrong contract replaced”."),
    )


class HandoverForm(forms.Form):
    to_user = forms.ChoiceField(label=_("Hand the draft to"))
    note = forms.CharField(
        label=_("Note for the new filer"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, candidates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.candidates = {str(user.pk): user for user in candidates}
        self.fields["to_user"].choices = [
            ("", _("Choose")),
            *[
                (str(user.pk), f"{user.display_name or user.username} ({user.username})")
                for user in candidates
            ],
        ]
        explain_required(self)

    def clean_to_user(self):
        return self.candidates[self.cleaned_data["to_user"]]


STEP_FORMS: dict[str, type[StepForm]] = {
    STEP1: Step1Form,
    PERSONAL1: Personal1Form,
    PERSONAL2: Personal2Form,
    ORGANIZATION: OrganizationForm,
    STEP3: Step3Form,
}


# --- a step's form for an application -------------------------------------------------------


def _organization_initial(application) -> dict:
    """Staff apply for their own organization (A-2): STEP2-3 starts filled in with it."""
    organization = application.organization
    if organization is None:
        return {}
    return {
        "organization_name": organization.name,
        "corporate_number": organization.corporate_number or "",
        "organization_prefecture": organization.prefecture_id or "",
        "organization_municipality": organization.municipality_id or "",
        "organization_address": organization.street or "",
    }


def step_initial(application, step: str) -> dict:
    """What the form of ``step`` starts with: what the application stores for it."""
    if step == STEP1:
        return {
            "procedure": application.procedure_id,
            "status": application.status_id or "",
            "period_requested": application.period_requested,
            "reentry": application.reentry,
            "other_activity": application.other_activity,
        }
    initial = dict((application.content or {}).get(step) or {})
    if step == ORGANIZATION and not initial:
        initial = _organization_initial(application)
    if step == STEP3:
        initial.setdefault("receipt_method", application.receipt_method)
        initial.setdefault("applicant_email", application.applicant_email)
    return initial


def step_form(application, step: str, user, data=None) -> StepForm:
    """The form of ``step`` for ``application`` (STEP3 offers only the receipt methods of A-8)."""
    kwargs = {"application": application, "user": user, "initial": step_initial(application, step)}
    if step == STEP3:
        kwargs["methods"] = application_receipt_methods(application)
    return STEP_FORMS[step](data, **kwargs)
