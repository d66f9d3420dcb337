"""Forms of service N. They only parse: which items a form asks comes from the reference data
(``rules.event_items``), each value is normalised by the shared validators (FMT-4 JIS text with
half-width converted and the conversion shown, FMT-6 corporate number, FMT-7 dates), and the
rules (eligibility, card match, deadlines) live in ``services`` and ``rules``.

Errors are shown by each field and in the summary at the top (FMT-8, the portal's includes).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata

from django import forms
from django.core.exceptions import ValidationError
from django.utils import formats, translation
from django.utils.translation import gettext_lazy as _

from zairyu.accounts.forms_resident import CardDateField, CardFaceForm
from zairyu.core.validators import (
    CorporateNumber,
    DateNotInFuture,
    JisX0208Text,
    ResidenceCardNumber,
    RomanName,
    RomanNameForm,
    conversion_notice,
    refuse_my_number,
)
from zairyu.reference.models import NotificationEvent
from zairyu.reference.selectors import prefecture_field_choices

from . import rules
from .labels import local_name
from .services import CardFace, RosterLine


def _help(code: str) -> str:
    texts = {
        "event_date": _(
            "The day it happened (not in the future). Notify within 14 days of that day."
        ),
        "start_date": _("The day the acceptance started (not in the future)."),
        "end_date": _("The day the acceptance ended (not in the future)."),
        "activity_place": _(
            "Only when the actual place of activity differs from the organization's address, "
            "e.g. a branch office. Optional."
        ),
        "new_activity": _("The activity there, e.g. システム開発 (system development)."),
        "activity": _("The resident's activity at the organization, e.g. 研究 (research)."),
    }
    if code in texts:
        return texts[code]
    if code.endswith("address"):
        return _(
            "Prefecture, municipality, town and number, in full-width characters (half-width "
            "is converted). JIS level-1 and level-2 characters only."
        )
    if code.endswith("name"):
        return _("As registered, e.g. 株式会社法務商事. Half-width characters are converted.")
    return ""


class JisTextField(forms.CharField):
    """Japanese text (FMT-4): half-width converted to full width (the conversion is shown),
    JIS X 0208 level 1 and 2 only, no My Number."""

    def __init__(self, *, max_length: int, **kwargs):
        # The raw value may be longer than the stored one (e.g. combining marks); the JIS
        # validator checks the length after conversion.
        super().__init__(max_length=max_length * 2, **kwargs)
        self.jis_max_length = max_length
        self.notice: str | None = None

    def clean(self, value):
        value = super().clean(value)
        self.notice = None
        if not value:
            return value
        label = str(self.label)
        refuse_my_number(value, field=label)
        result = JisX0208Text(
            field=label, max_length=self.jis_max_length, convert_halfwidth=True
        ).clean(value)
        self.notice = conversion_notice(result, field=label)
        return result.value


class CorporateNumberField(forms.CharField):
    """A corporate number (FMT-6), optional: "where known" (NF-1)."""

    def __init__(self, **kwargs):
        super().__init__(max_length=30, required=False, **kwargs)

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return ""
        return CorporateNumber(field=str(self.label)).clean(value).value


def item_field(item: rules.Item) -> forms.Field:
    """Return the form field for one item of an event (its kind follows from its code)."""
    label = local_name(item)
    help_text = _help(item.code)
    if item.code in rules.DATE_ITEMS:
        return CardDateField(
            label=label,
            required=item.required,
            help_text=help_text,
            validators=[DateNotInFuture(field=label)],
            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        )
    if item.code == "end_reason":
        return forms.ChoiceField(
            label=label,
            required=item.required,
            choices=[("", _("Choose")), *rules.END_REASONS],
        )
    max_length = rules.text_max_length(item.code)
    return JisTextField(
        label=label, required=item.required, help_text=help_text, max_length=max_length
    )


def explain_required(form: forms.Form) -> None:
    """FMT-8: a missing value's message names the field and says what to do."""
    language = translation.get_language()
    for field in form.fields.values():
        if isinstance(field, forms.BooleanField):
            kind = "boolean"
        elif isinstance(field, forms.ChoiceField):
            kind = "choice"
        elif isinstance(field, forms.DateField):
            kind = "date"
        else:
            kind = "text"
        required, invalid = _explained(language, kind, str(field.label))
        field.error_messages["required"] = required
        if invalid is not None:
            field.error_messages["invalid"] = invalid


@functools.lru_cache(maxsize=4096)
def _explained(language: str | None, kind: str, label: str) -> tuple[str, str | None]:
    """The messages of ``explain_required`` for a field of ``kind`` labelled ``label``, in the
    active ``language`` (remembered: a bulk file builds the same form for every row)."""
    if kind == "boolean":
        message = _("Tick “%(field)s” to confirm it; without it this cannot be filed.")
    elif kind == "choice":
        message = _("%(field)s: choose one from the list.")
    elif kind == "date":
        message = _("%(field)s is empty. Enter the date, e.g. 2026-04-01.")
    else:
        message = _("%(field)s is empty. Fill it in.")
    invalid = None
    if kind == "date":
        invalid = _("%(field)s is not a date. Enter it as YYYY-MM-DD, e.g. 2026-04-01.") % {
            "field": label
        }
    return message % {"field": label}, invalid


class ItemsMixin:
    """Adds an event's item fields (and the corporate numbers of the organizations it names)."""

    item_codes: list[str]

    def add_item_fields(self, event: NotificationEvent, status=None) -> None:
        self.event = event
        self.item_codes = []
        for item in rules.event_items(event, status):
            if item.code == "roster":
                continue
            self.fields[item.code] = item_field(item)
            self.item_codes.append(item.code)
            extra = rules.CORPORATE_NUMBER_FOR.get(item.code)
            if extra and extra not in self.fields:
                label = (
                    _("Corporate number of the new organization")
                    if extra == "new_org_corporate_number"
                    else _("Corporate number of the organization")
                )
                self.fields[extra] = CorporateNumberField(
                    label=label,
                    help_text=_("法人番号, 13 digits. Optional: enter it when you know it."),
                )
                self.item_codes.append(extra)
            if item.code == "end_reason":
                self.fields["end_reason_detail"] = JisTextField(
                    label=_("Reason in detail"),
                    required=False,
                    max_length=200,
                    help_text=_("Required when the reason is “Other”."),
                )
                self.item_codes.append("end_reason_detail")

    def clean_items(self, data: dict) -> None:
        if data.get("end_reason") == "other" and not data.get("end_reason_detail"):
            self.add_error(
                "end_reason_detail",
                ValidationError(_("Describe the reason."), code="required"),
            )

    @property
    def item_fields(self):
        return [self[name] for name in self.item_codes]

    def items(self) -> dict:
        """The cleaned items, as the services take them (dates as dates)."""
        return {name: self.cleaned_data.get(name) for name in self.item_codes}

    def all_conversions(self) -> list[str]:
        """Every conversion made to what was typed (FMT-3/4/5 [B]: shown, not refused)."""
        notices = list(getattr(self, "conversions", None) or [])
        for name in ("address", *self.item_codes):
            notice = getattr(self.fields.get(name), "notice", None)
            if notice:
                notices.append(notice)
        return notices


class ResidentFilingForm(ItemsMixin, forms.Form):
    """NF-1: the items of one Art. 19-16 event; the common items come from the registry."""

    def __init__(self, data=None, *, event: NotificationEvent, status, **kwargs):
        super().__init__(data, **kwargs)
        self.add_item_fields(event, status)
        explain_required(self)

    def clean(self):
        data = super().clean()
        self.clean_items(data)
        return data


def _prefecture_choices():
    return prefecture_field_choices(blank=_("Choose"))


class ResidentFaceForm(CardFaceForm):
    """The resident's common items as an organization types them (REFERENCE.md §2)."""

    prefecture = forms.ChoiceField(label=_("Prefecture of the resident's address"))
    address = JisTextField(
        label=_("Rest of the resident's address"),
        max_length=rules.ADDRESS_MAX_LENGTH,
        help_text=_(
            "Municipality, town and number, as on the back or front of the card, e.g. "
            "千代田区霞が関１−１−１."
        ),
    )

    def __init__(self, data=None, *args, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.fields["prefecture"].choices = _prefecture_choices()
        self.fields["number"].label = _("Resident's residence card number")
        self.fields["roman_name"].label = _("Resident's name (roman letters)")

    face_names = (
        "number",
        "roman_name",
        "nationality",
        "birth_date",
        "sex",
        "prefecture",
        "address",
    )

    @property
    def face_fields(self):
        return [self[name] for name in self.face_names]

    def card_face(self) -> CardFace:
        data = self.cleaned_data
        return CardFace(
            number=data["number"],
            roman_name=data["roman_name"],
            nationality=data["nationality"],
            birth_date=data["birth_date"],
            sex=data["sex"],
            prefecture=data["prefecture"],
            address=data["address"],
        )


class ProxyFilingForm(ItemsMixin, ResidentFaceForm):
    """NF-4: a registered resident's name- or address-change notification, by the organization."""

    requested_by_resident = forms.BooleanField(
        label=_("The resident asked us to file this notification for them"),
        help_text=_(
            "An organization files a resident's notification only on the resident's request. "
            "The resident sees it in their history and gets the mails."
        ),
    )

    def __init__(self, data=None, *, event: NotificationEvent, organization, **kwargs):
        initial = kwargs.pop("initial", None) or {}
        address = organization_address(organization)
        for code, value in {
            "new_org_name": organization.name,
            "org_name": organization.name,
            "new_org_address": address,
            "org_corporate_number": organization.corporate_number or "",
        }.items():
            initial.setdefault(code, value)
        super().__init__(data, initial=initial, **kwargs)
        self.add_item_fields(event)
        explain_required(self)

    def clean(self):
        data = super().clean()
        self.clean_items(data)
        return data


class OrganizationFilingForm(ItemsMixin, ResidentFaceForm):
    """NF-3: acceptance started or ended for one resident (Art. 19-17)."""

    not_bound_to_report = forms.BooleanField(
        label=_(
            "Our organization does not report the employment of foreign nationals to Hello Work"
        ),
        required=False,
        help_text=_(
            "Only organizations not bound to the foreign-employment report (labour policy act, "
            "art. 28) notify under Art. 19-17; employers who report to Hello Work do not."
        ),
    )

    def __init__(self, data=None, *, event: NotificationEvent, **kwargs):
        super().__init__(data, **kwargs)
        self.add_item_fields(event)
        self.needs_declaration = (
            event.organization_kind == NotificationEvent.OrganizationKind.ACCEPTING
        )
        if self.needs_declaration:
            self.fields["not_bound_to_report"].required = True
        else:
            del self.fields["not_bound_to_report"]
        explain_required(self)

    def clean(self):
        data = super().clean()
        self.clean_items(data)
        return data


_ROSTER_SEPARATORS = re.compile(r"\t|,|、|，")


class RosterForm(forms.Form):
    """NF-3: a school's roster of students as of 1 May / 1 November (REFERENCE.md §3)."""

    as_of = forms.ChoiceField(label=_("As of"))
    roster = forms.CharField(
        label=_("Students"),
        widget=forms.Textarea(
            attrs={"rows": 12, "spellcheck": "false", "class": "filing-roster-input"}
        ),
        help_text=_(
            "One student per line: residence card number, name in roman letters, nationality "
            "code (3 letters, e.g. CHN), date of birth, sex (M/F), separated by commas or tabs "
            "(columns copied from a spreadsheet work). Example: AB12345678CD, HOUMU TAROU, "
            "CHN, 2003-04-01, M"
        ),
    )

    def __init__(self, data=None, *, event: NotificationEvent, today: dt.date, **kwargs):
        super().__init__(data, **kwargs)
        self.event = event
        self.as_of_dates = rules.as_of_dates(event, today=today)
        self.fields["as_of"].choices = [
            (d.isoformat(), formats.date_format(d, "DATE_FORMAT")) for d in self.as_of_dates
        ]
        self.lines: list[RosterLine] = []
        explain_required(self)

    def all_conversions(self) -> list[str]:
        return []

    def clean_as_of(self) -> dt.date:
        value = dt.date.fromisoformat(self.cleaned_data["as_of"])
        DateNotInFuture(field=str(self.fields["as_of"].label))(value)
        return value

    def clean_roster(self) -> str:
        text = self.cleaned_data["roster"]
        refuse_my_number(text, field=str(self.fields["roster"].label))
        lines: list[RosterLine] = []
        problems: list[ValidationError] = []
        for number, raw in enumerate(text.splitlines(), start=1):
            if not raw.strip():
                continue
            parts = [p.strip() for p in _ROSTER_SEPARATORS.split(raw)]
            try:
                lines.append(_roster_line(number, parts))
            except ValidationError as exc:
                for error in exc.error_list:
                    message = error.message % error.params if error.params else error.message
                    problems.append(
                        ValidationError(
                            _("Line %(line)d: %(problem)s"),
                            code=error.code,
                            params={"line": number, "problem": message},
                        )
                    )
        if problems:
            raise ValidationError(problems)
        self.lines = lines
        return text


def _roster_line(number: int, parts: list[str]) -> RosterLine:
    if len(parts) != 5:
        raise ValidationError(
            _("write 5 values (card number, name, nationality, date of birth, sex); found %(n)d."),
            code="roster_columns",
            params={"n": len(parts)},
        )
    card_number = ResidenceCardNumber().clean(parts[0]).value
    name = RomanName(RomanNameForm.SPACES).clean(parts[1]).value
    nationality = unicodedata.normalize("NFKC", parts[2]).upper()
    if not re.fullmatch(r"[A-Z]{3}", nationality):
        raise ValidationError(
            _("the nationality is a 3-letter code such as CHN, VNM or PHL."), code="nationality"
        )
    try:
        birth_date = dt.date.fromisoformat(
            unicodedata.normalize("NFKC", parts[3]).replace("/", "-").replace(".", "-")
        )
    except ValueError:
        raise ValidationError(
            _("write the date of birth as 2003-04-01."), code="birth_date"
        ) from None
    sex = unicodedata.normalize("NFKC", parts[4]).upper()
    if sex not in ("M", "F"):
        raise ValidationError(_("write the sex as M or F."), code="sex")
    return RosterLine(number, card_number, name, nationality, birth_date, sex)


def roster_text(students: list[dict]) -> str:
    """The roster textarea prefilled with students (accepted_students' dicts)."""
    return "\n".join(
        ", ".join((s["card_number"], s["roman_name"], s["nationality"], s["birth_date"], s["sex"]))
        for s in students
    )


def organization_address(organization) -> str:
    municipality = organization.municipality.name_ja if organization.municipality_id else ""
    return f"{organization.prefecture.name_ja}{municipality}{organization.street}"
