"""Back-office forms (BO-2). They parse types; the rules live in the cards services.

Errors are shown next to each field and in a summary at the top (FMT-8): ``OfficerForm``
names the field in every message Django would otherwise leave generic, and ``summary()``
lists (field id, message) for the top of the page. ``apply_errors`` puts the services'
``ValidationError`` (keyed by field) onto the form.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from zairyu.cards import normalise
from zairyu.cards.models import ResidenceCard, Sex
from zairyu.cards.rules import CardData
from zairyu.cards.selectors import card_search_number
from zairyu.core import clock
from zairyu.core.forms import DateInput, TypedDateField, add_service_errors  # noqa: F401
from zairyu.reference.models import Municipality, Nationality, Prefecture, Status

Reason = ResidenceCard.InvalidationReason


def _date_field(label, *, required=True, help_text="") -> forms.DateField:
    return TypedDateField(
        label=label,
        required=required,
        widget=DateInput(),
        help_text=help_text or _("YYYY-MM-DD"),
    )


class OfficerForm(forms.Form):
    """A form whose every message names its field and says how to fix it (FMT-8)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            label = field.label
            field.error_messages["required"] = gettext("%(field)s is empty. Fill it in.") % {
                "field": label
            }
            if isinstance(field, forms.DateField):
                field.error_messages["invalid"] = gettext(
                    "%(field)s is not a date. Enter it as YYYY-MM-DD, e.g. 2026-04-01."
                ) % {"field": label}
            if isinstance(field, forms.ChoiceField):
                field.error_messages["invalid_choice"] = gettext(
                    "%(field)s: choose one of the options in the list."
                ) % {"field": label}

    def summary(self) -> list[tuple[str, str]]:
        """Return (anchor id, message) for every error, in field order, for the top summary."""
        items = [("", str(message)) for message in self.non_field_errors()]
        for name in self.fields:
            for message in self.errors.get(name, []):
                bound = self[name]
                label = str(bound.label)
                text = str(message)
                if not text.startswith(label):
                    text = f"{label}: {text}"
                # A radio group has no single input: link to its fieldset (id = auto_id).
                items.append((bound.id_for_label or bound.auto_id, text))
        return items


class OfficerLoginForm(AuthenticationForm):
    """Django's log-in form; accounts without back-office access get the same answer as a
    wrong password (nothing tells an outsider which accounts are officers)."""

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if not user.is_staff:
            raise self.get_invalid_login_error()


class CardSearchForm(OfficerForm):
    number = forms.CharField(
        label=_("Residence card number"),
        required=False,
        max_length=30,
        help_text=_("The whole number, e.g. AB12345678CD."),
    )
    name = forms.CharField(
        label=_("Name"),
        required=False,
        max_length=100,
        help_text=_("Part of the name in roman letters or in kanji."),
    )
    birth_date = _date_field(_("Date of birth"), required=False)

    def clean_number(self) -> str:
        text = self.cleaned_data.get("number") or ""
        if text and card_search_number(text) is None:
            # SEC-3: numbers are stored encrypted and found by a keyed index of the whole number.
            raise ValidationError(
                _(
                    "Enter the whole card number: 2 letters, 8 digits and 2 letters, e.g. "
                    "AB12345678CD. A part of a number cannot be searched."
                ),
                code="partial_number",
            )
        return text

    def clean(self):
        data = super().clean()
        if not self.errors and not any(data.get(f) for f in ("number", "name", "birth_date")):
            raise ValidationError(
                _("Enter a card number, a name or a date of birth to search."), code="empty"
            )
        return data

    def criteria(self) -> dict:
        data = self.cleaned_data
        return {
            "number": data.get("number") or "",
            "name": data.get("name") or "",
            "birth_date": data["birth_date"].isoformat() if data.get("birth_date") else "",
        }


def municipality_choices() -> list:
    """Municipalities grouped by prefecture, for a select that works without JavaScript."""
    groups: dict[str, list] = {}
    names = dict(Prefecture.objects.values_list("code", "name_ja"))
    for code, name, prefecture in Municipality.objects.order_by("code").values_list(
        "code", "name_ja", "prefecture_id"
    ):
        groups.setdefault(prefecture, []).append((code, f"{name} ({code})"))
    return [("", "---------")] + [(names.get(p, p), items) for p, items in groups.items()]


class AddressFields(forms.Form):
    prefecture = forms.ModelChoiceField(
        label=_("Prefecture"), queryset=Prefecture.objects.order_by("code")
    )
    municipality = forms.ChoiceField(label=_("Municipality"), required=False)
    street = forms.CharField(
        label=_("Street address"),
        max_length=120,
        help_text=_("Town, block and number; half-width characters are converted to full-width."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["municipality"].choices = municipality_choices()


class CardForm(AddressFields, OfficerForm):
    """The data of a card, for registering a new card or issuing the next one (renewal)."""

    number = forms.CharField(
        label=_("Residence card number"),
        max_length=30,
        help_text=_("2 letters, 8 digits, 2 letters, e.g. AB12345678CD."),
    )
    roman_name = forms.CharField(
        label=_("Name (roman letters)"),
        max_length=120,
        help_text=_("As printed on the card, e.g. HOUMU TAROU."),
    )
    kanji_name = forms.CharField(label=_("Name (kanji)"), max_length=60, required=False)
    nationality = forms.ModelChoiceField(
        label=_("Nationality or region"),
        queryset=Nationality.objects.filter(active=True).order_by("name_en"),
    )
    birth_date = _date_field(_("Date of birth"))
    sex = forms.ChoiceField(label=_("Sex"), choices=Sex.choices, widget=forms.RadioSelect)
    status = forms.ModelChoiceField(
        label=_("Status of residence"),
        queryset=Status.objects.filter(card_issued=True).order_by("sort_order", "code"),
    )
    period_of_stay = forms.CharField(
        label=_("Period of stay"),
        required=False,
        max_length=16,
        help_text=_("P5Y = 5 years, P1Y6M = 1 year 6 months, P90D = 90 days; empty if unlimited."),
    )
    stay_until = _date_field(
        _("Period of stay ends"),
        required=False,
        help_text=_("YYYY-MM-DD; empty if unlimited (permanent resident)."),
    )
    card_valid_until = _date_field(_("Card valid until"))
    issued_on = _date_field(_("Issued on"))
    representative_name = forms.CharField(
        label=_("Legal representative"),
        max_length=100,
        required=False,
        help_text=_("For a minor or a ward."),
    )
    representative_relationship = forms.CharField(
        label=_("Relationship of the legal representative"), max_length=40, required=False
    )

    field_order = [
        "number",
        "roman_name",
        "kanji_name",
        "nationality",
        "birth_date",
        "sex",
        "prefecture",
        "municipality",
        "street",
        "status",
        "period_of_stay",
        "stay_until",
        "card_valid_until",
        "issued_on",
        "representative_name",
        "representative_relationship",
    ]

    # Format checks run here too, so that a page shows them together with missing fields; the
    # services run the same functions again (they accept only canonical data).
    def _format(self, name: str, check) -> str:
        value = self.cleaned_data.get(name, "")
        if not value:
            return value
        try:
            return check(value)
        except ValidationError as exc:
            raise ValidationError(exc.error_list) from None

    def clean_number(self) -> str:
        return self._format("number", normalise.card_number)

    def clean_roman_name(self) -> str:
        return self._format("roman_name", normalise.roman_name)

    def clean_period_of_stay(self) -> str:
        return self._format("period_of_stay", normalise.period_of_stay)

    def clean_street(self) -> str:
        label = self.fields["street"].label
        return self._format("street", lambda v: normalise.jis_text(v, full_width=True, field=label))

    def clean_kanji_name(self) -> str:
        label = self.fields["kanji_name"].label
        return self._format(
            "kanji_name", lambda v: normalise.jis_text(v, full_width=True, field=label)
        )

    def card_data(self, *, keep: ResidenceCard | None = None) -> CardData:
        """Return the typed data for the services (``keep``: carry over what the form omits)."""
        data = self.cleaned_data
        return CardData(
            number=data["number"],
            roman_name=data["roman_name"],
            kanji_name=data.get("kanji_name") or "",
            nationality_id=data["nationality"].pk,
            birth_date=data["birth_date"],
            sex=data["sex"],
            prefecture_id=data["prefecture"].pk,
            municipality_id=data.get("municipality") or None,
            street=data["street"],
            status_id=data["status"].pk,
            period_of_stay=data.get("period_of_stay") or "",
            stay_until=data.get("stay_until"),
            card_valid_until=data["card_valid_until"],
            issued_on=data["issued_on"],
            abroad_on_reentry=keep.abroad_on_reentry if keep else False,
            last_moving_in_on=keep.last_moving_in_on if keep else None,
            representative_name=data.get("representative_name") or "",
            representative_relationship=data.get("representative_relationship") or "",
        )

    @staticmethod
    def initial_from(card: ResidenceCard) -> dict:
        """Initial values for the next card of ``card``'s holder (number and dates to fill)."""
        return {
            "roman_name": card.roman_name,
            "kanji_name": card.kanji_name,
            "nationality": card.nationality_id,
            "birth_date": card.birth_date,
            "sex": card.sex,
            "prefecture": card.prefecture_id,
            "municipality": card.municipality_id or "",
            "street": card.street,
            "status": card.status_id,
            "issued_on": clock.today(),
            "representative_name": card.representative_name,
            "representative_relationship": card.representative_relationship,
        }


class RenewForm(CardForm):
    reason = forms.ChoiceField(
        label=_("Why a new card"),
        choices=[
            (Reason.RENEWED.value, _("renewal or change of status or period")),
            (Reason.REISSUED.value, Reason.REISSUED.label),
        ],
        initial=Reason.RENEWED.value,
        widget=forms.RadioSelect,
    )
    field_order = ["reason", *CardForm.field_order]


INVALIDATION_CHOICES = [
    (value, label)
    for value, label in Reason.choices
    if value not in (Reason.RENEWED, Reason.SUPERSEDED, Reason.REISSUED)
]


class InvalidateForm(OfficerForm):
    reason = forms.ChoiceField(
        label=_("Reason"), choices=INVALIDATION_CHOICES, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What the decision rests on (document, date); at most 300 characters."),
    )


class DepartureForm(OfficerForm):
    departed_on = _date_field(_("Departure date"))


class ReturnForm(OfficerForm):
    returned_on = _date_field(_("Return date"))


class MovingInForm(AddressFields, OfficerForm):
    notified_on = _date_field(_("Date of the moving-in notification"))
    field_order = ["notified_on", "prefecture", "municipality", "street"]


def today_initial() -> dict[str, dt.date]:
    return {
        "departed_on": clock.today(),
        "returned_on": clock.today(),
        "notified_on": clock.today(),
    }
