"""Each field of an application's steps with its label and its one validator (FMT-*).

``FIELDS`` maps every field a step stores (``rules.STEP_FIELDS``) to a ``ContentField``: its
label (the name the messages use) and ``clean``, which turns what was typed into the stored
form or raises ``ValidationError``. Each format has one validator, the shared one of
``zairyu.core.validators``: FMT-3 roman name (parts separated by commas), FMT-4 JIS text, FMT-5
card number, FMT-6 corporate number, FMT-7 typed dates, telephone and passport numbers; choices
are checked against the models and the reference data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from zairyu.accounts.models import User
from zairyu.cards import normalise
from zairyu.core.validators import (
    CorporateNumber,
    DateNotInFuture,
    JisX0208Text,
    ResidenceCardNumber,
    RomanName,
    RomanNameForm,
    clean_passport_number,
    clean_phone_number,
    clean_typed_date,
)
from zairyu.reference.models import Municipality, Nationality, Prefecture, Status

from ..models import MainProcedure, ReceiptMethod, Reentry, Relationship

# Free text (names, addresses) is stored up to this many characters.
TEXT_MAX = 200

TEXT, BOOLEAN, DATE = "text", "boolean", "date"

Clean = Callable[[Any, Any], Any]  # (value, label) → the stored form, or ValidationError


@dataclass(frozen=True)
class ContentField:
    """One field of a step: its label, how it is stored, and the validator of its format.

    ``kind`` says what ``clean`` receives: ``text`` the typed text stripped (refused first when
    it holds a My Number, unless ``my_number`` is False: telephone numbers, whose 12 digits
    pass the My Number check digit by chance), ``date`` and ``boolean`` the value as given.
    """

    label: Promise
    clean: Clean
    kind: str = TEXT
    my_number: bool = True


def _choose_from_list(label) -> ValidationError:
    return ValidationError(
        _("%(field)s: choose one from the list.") % {"field": label}, code="invalid_choice"
    )


def _boolean(value: Any, label) -> bool:
    return value in (True, "1", "true", "on", "yes", 1)


def _date(*, not_in_future: bool = False, birth: bool = False) -> Clean:
    """FMT-7: a typed date (``core.validators.clean_typed_date``), stored as ISO text."""

    def clean(value: Any, label) -> str:
        day = clean_typed_date(value, field=label)
        if not_in_future:
            DateNotInFuture(field=label, birth=birth)(day)
        return day.isoformat()

    return clean


def _choice(values: Iterable[str]) -> Clean:
    allowed = tuple(values)

    def clean(text: str, label) -> str:
        if text not in allowed:
            raise _choose_from_list(label)
        return text

    return clean


def _reference(model: type[models.Model], *, upper: bool = False) -> Clean:
    """A code of the reference data (a nationality's in upper case)."""

    def clean(text: str, label) -> str:
        code = text.upper() if upper else text
        if not model.objects.filter(pk=code).exists():
            raise _choose_from_list(label)
        return code

    return clean


def _jis(*, street: bool = False) -> Clean:
    """FMT-4: JIS X 0208 text; half-width characters converted in street addresses only."""

    def clean(text: str, label) -> str:
        return (
            JisX0208Text(field=label, max_length=TEXT_MAX, convert_halfwidth=street)
            .clean(text)
            .value
        )

    return clean


def _roman_name(text: str, label) -> str:
    return RomanName(RomanNameForm.COMMAS, field=label).clean(text).value


def _card_number(text: str, label) -> str:
    return ResidenceCardNumber(field=label).clean(text).value


def _corporate_number(text: str, label) -> str:
    return CorporateNumber(field=label).clean(text).value


def _email(text: str, label) -> str:
    EmailValidator(
        message=_("%(field)s: enter an e-mail address such as name@example.jp.") % {"field": label},
        code="email_invalid",
    )(text)
    return User.objects.normalize_email(text)  # the domain in lower case


def _period(text: str, label) -> str:
    period = normalise.period_of_stay(text)
    if not period:
        raise ValidationError(
            _("%(field)s: enter a period such as 1 year (P1Y) or 6 months (P6M).")
            % {"field": label},
            code="period_invalid",
        )
    return period


def _phone(text: str, label) -> str:
    return clean_phone_number(text, field=label)


def _passport(text: str, label) -> str:
    return clean_passport_number(text, field=label)


def _field(label: Promise, clean: Clean, **kwargs) -> ContentField:
    return ContentField(label=label, clean=clean, **kwargs)


FIELDS: dict[str, ContentField] = {
    # STEP1
    "procedure": _field(_lazy("Procedure"), _choice(MainProcedure.values)),
    "status": _field(_lazy("Status of residence"), _reference(Status)),
    "period_requested": _field(_lazy("Period of stay applied for"), _period),
    "reentry": _field(_lazy("Re-entry permit"), _choice(Reentry.values)),
    "other_activity": _field(_lazy("Permission for other activity"), _boolean, kind=BOOLEAN),
    # STEP2-1
    "nationality": _field(_lazy("Nationality or region"), _reference(Nationality, upper=True)),
    "roman_name": _field(_lazy("Name (roman letters)"), _roman_name),
    "sex": _field(_lazy("Sex"), _choice(("M", "F"))),
    "birth_date": _field(_lazy("Date of birth"), _date(not_in_future=True, birth=True), kind=DATE),
    "prefecture": _field(_lazy("Prefecture"), _reference(Prefecture)),
    "municipality": _field(_lazy("Municipality"), _reference(Municipality)),
    "address": _field(_lazy("Address (street, building)"), _jis(street=True)),
    "kanji_name": _field(_lazy("Name (kanji)"), _jis()),
    "relationship": _field(_lazy("Relationship to the applicant"), _choice(Relationship.values)),
    "event_date": _field(
        _lazy("Date of birth or of the event"), _date(not_in_future=True), kind=DATE
    ),
    "kanji_name_requested": _field(
        _lazy("Kanji name on the residence card"), _boolean, kind=BOOLEAN
    ),
    "phone": _field(_lazy("Telephone number"), _phone, my_number=False),
    "passport_number": _field(_lazy("Passport number"), _passport),
    # STEP2-2
    "card_number": _field(_lazy("Residence card number"), _card_number),
    "card_valid_until": _field(_lazy("Residence card valid until"), _date(), kind=DATE),
    # STEP2-3
    "organization_name": _field(_lazy("Name of the organization"), _jis()),
    "corporate_number": _field(_lazy("Corporate number"), _corporate_number),
    "organization_prefecture": _field(
        _lazy("Prefecture of the organization"), _reference(Prefecture)
    ),
    "organization_municipality": _field(
        _lazy("Municipality of the organization"), _reference(Municipality)
    ),
    "organization_address": _field(
        _lazy("Address of the organization (street, building)"), _jis(street=True)
    ),
    "organization_phone": _field(
        _lazy("Telephone number of the organization"), _phone, my_number=False
    ),
    # STEP3
    "applicant_email": _field(_lazy("Applicant's notification e-mail address"), _email),
    "receipt_method": _field(_lazy("Receipt method"), _choice(ReceiptMethod.values)),
}

FIELD_LABELS = {name: field.label for name, field in FIELDS.items()}
BOOLEAN_FIELDS = frozenset(name for name, field in FIELDS.items() if field.kind == BOOLEAN)
DATE_FIELDS = frozenset(name for name, field in FIELDS.items() if field.kind == DATE)
