"""What makes a card record acceptable: one set of rules for forms, services and the importer.

``clean_card_data`` normalises every field (``normalise``) and checks the rules that relate
fields to each other and to the reference data. It collects every error before raising, keyed
by the field (= the CSV column), so a form shows each one by its field and the importer reports
them all for the line (FMT-8).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

from django.core.exceptions import ValidationError
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from . import normalise
from .models import ResidenceCard, Sex

SEXES = frozenset(Sex.values)
# Field labels for the text checks' messages (lazy: translated when shown).
_LABELS = {
    field: capfirst(ResidenceCard._meta.get_field(field).verbose_name)
    for field in ("kanji_name", "street", "representative_name", "representative_relationship")
}


@dataclass(frozen=True)
class StatusInfo:
    card_issued: bool
    valid_from: dt.date | None
    valid_until: dt.date | None
    name: str


@dataclass
class CardData:
    """The data of one card, with reference data by code (what a form or a CSV row gives)."""

    number: str
    roman_name: str
    nationality_id: str
    birth_date: dt.date
    sex: str
    prefecture_id: str
    street: str
    status_id: str
    card_valid_until: dt.date
    issued_on: dt.date
    kanji_name: str = ""
    municipality_id: str | None = None
    period_of_stay: str = ""
    stay_until: dt.date | None = None
    abroad_on_reentry: bool = False
    last_moving_in_on: dt.date | None = None
    representative_name: str = ""
    representative_relationship: str = ""

    def copy(self) -> CardData:
        """Return a shallow copy (cheaper than dataclasses.replace, which re-runs __init__)."""
        new = object.__new__(CardData)
        new.__dict__.update(self.__dict__)
        return new

    def model_fields(self) -> dict:
        """Return the fields as ResidenceCard keyword arguments (number and DATA_FIELDS)."""
        return dict(self.__dict__)  # shallow: every value is immutable


class References(Protocol):
    """Reference-data look-ups the rules need (the importer preloads them; services query)."""

    def nationality_exists(self, code: str) -> bool: ...

    def prefecture_exists(self, code: str) -> bool: ...

    def municipality_prefecture(self, code: str) -> str | None: ...

    def status(self, code: str) -> StatusInfo | None: ...


class DatabaseReferences:
    """Look reference data up with one small query each (for single-card services and forms)."""

    def nationality_exists(self, code: str) -> bool:
        from zairyu.reference.models import Nationality

        return Nationality.objects.filter(pk=code).exists()

    def prefecture_exists(self, code: str) -> bool:
        from zairyu.reference.models import Prefecture

        return Prefecture.objects.filter(pk=code).exists()

    def municipality_prefecture(self, code: str) -> str | None:
        from zairyu.reference.models import Municipality

        return Municipality.objects.filter(pk=code).values_list("prefecture_id", flat=True).first()

    def status(self, code: str) -> StatusInfo | None:
        from zairyu.reference.models import Status

        row = Status.objects.filter(pk=code).first()
        if row is None:
            return None
        return StatusInfo(row.card_issued, row.valid_from, row.valid_until, row.name_ja)


class PreloadedReferences:
    """All the reference data the rules need, read once (a few thousand small rows)."""

    def __init__(self) -> None:
        from zairyu.reference.models import Municipality, Nationality, Prefecture, Status

        self.nationalities = set(Nationality.objects.values_list("code", flat=True))
        self.prefectures = set(Prefecture.objects.values_list("code", flat=True))
        self.municipalities = dict(Municipality.objects.values_list("code", "prefecture_id"))
        self.statuses = {
            row.code: StatusInfo(row.card_issued, row.valid_from, row.valid_until, row.name_ja)
            for row in Status.objects.all()
        }

    def nationality_exists(self, code: str) -> bool:
        return code in self.nationalities

    def prefecture_exists(self, code: str) -> bool:
        return code in self.prefectures

    def municipality_prefecture(self, code: str) -> str | None:
        return self.municipalities.get(code)

    def status(self, code: str) -> StatusInfo | None:
        return self.statuses.get(code)


def _add(errors: dict[str, list[ValidationError]], field: str, error: ValidationError) -> None:
    errors.setdefault(field, []).extend(error.error_list)


def clean_card_data(data: CardData, *, refs: References, today: dt.date) -> CardData:
    """Return ``data`` normalised, or raise ValidationError({field: [errors]}) with every error."""
    errors: dict[str, list[ValidationError]] = {}
    out = data.copy()
    _normalise_fields(data, out, errors)
    _check_references(data, out, errors, refs)
    _check_status(data, errors, refs)
    _check_dates(out, errors, today)
    if errors:
        raise ValidationError(errors)
    return out


def _normalise_fields(data: CardData, out: CardData, errors: dict) -> None:
    """The number, the names, the period and the texts in their stored form (``normalise``)."""
    for field, clean in (
        ("number", normalise.card_number),
        ("roman_name", normalise.roman_name),
        ("period_of_stay", normalise.period_of_stay),
    ):
        try:
            setattr(out, field, clean(getattr(data, field)))
        except ValidationError as exc:
            _add(errors, field, exc)
    for field, full_width in (
        ("kanji_name", True),
        ("street", True),
        ("representative_name", False),
        ("representative_relationship", False),
    ):
        try:
            label = _LABELS[field]
            value = normalise.jis_text(
                getattr(data, field), full_width=full_width, allow_ascii=not full_width, field=label
            )
            setattr(out, field, value)
        except ValidationError as exc:
            _add(errors, field, exc)
    if not out.street and "street" not in errors:
        _add(errors, "street", ValidationError(_("Enter the street address."), code="required"))
    if len(out.street) > 120:
        _add(
            errors,
            "street",
            ValidationError(_("Shorten the street address to 120 characters."), code="length"),
        )


def _check_references(data: CardData, out: CardData, errors: dict, refs: References) -> None:
    """Nationality, sex, prefecture and municipality are ones the reference data knows."""
    out.nationality_id = (data.nationality_id or "").strip().upper()
    if not refs.nationality_exists(out.nationality_id):
        _add(
            errors,
            "nationality",
            ValidationError(
                _("Choose a nationality or region from the list (ISO 3166 three-letter code)."),
                code="unknown_nationality",
            ),
        )
    if data.sex not in SEXES:
        _add(
            errors,
            "sex",
            ValidationError(_("Choose the sex as printed on the card (M or F)."), code="sex"),
        )
    if not refs.prefecture_exists(data.prefecture_id):
        _add(
            errors,
            "prefecture",
            ValidationError(
                _("Choose a prefecture from the list (JIS code 01 to 47)."),
                code="unknown_prefecture",
            ),
        )
    out.municipality_id = data.municipality_id or None
    if out.municipality_id:
        owner = refs.municipality_prefecture(out.municipality_id)
        if owner is None:
            _add(
                errors,
                "municipality",
                ValidationError(
                    _("Choose a municipality from the list (5-digit local government code)."),
                    code="unknown_municipality",
                ),
            )
        elif owner != data.prefecture_id:
            _add(
                errors,
                "municipality",
                ValidationError(
                    _("This municipality is not in the chosen prefecture; choose one that is."),
                    code="municipality_prefecture",
                ),
            )


def _check_status(data: CardData, errors: dict, refs: References) -> None:
    """The status of residence exists, carries a card and could be granted on the issue date."""
    status = refs.status(data.status_id)
    if status is None:
        _add(
            errors,
            "status",
            ValidationError(
                _("Choose a status of residence from the list."), code="unknown_status"
            ),
        )
    elif not status.card_issued:
        _add(
            errors,
            "status",
            ValidationError(
                _("%(status)s does not carry a residence card; choose the holder's status."),
                code="status_without_card",
                params={"status": status.name},
            ),
        )
    elif data.issued_on and (
        (status.valid_from and data.issued_on < status.valid_from)
        or (status.valid_until and data.issued_on > status.valid_until)
    ):
        _add(
            errors,
            "status",
            ValidationError(
                _("%(status)s could not be granted on the issue date; check both."),
                code="status_not_current",
                params={"status": status.name},
            ),
        )


def _check_dates(data: CardData, errors: dict, today: dt.date) -> None:
    if data.birth_date > today:
        _add(
            errors,
            "birth_date",
            ValidationError(_("The date of birth cannot be in the future."), code="future"),
        )
    if data.issued_on > today:
        _add(
            errors,
            "issued_on",
            ValidationError(_("The issue date cannot be in the future."), code="future"),
        )
    if data.issued_on < data.birth_date:
        _add(
            errors,
            "issued_on",
            ValidationError(
                _("The issue date is before the date of birth; check both."),
                code="before_birth",
            ),
        )
    if data.card_valid_until < data.issued_on:
        _add(
            errors,
            "card_valid_until",
            ValidationError(
                _("The card cannot expire before it was issued; check both dates."),
                code="before_issue",
            ),
        )
    if data.stay_until is not None and data.stay_until < data.issued_on:
        _add(
            errors,
            "stay_until",
            ValidationError(
                _("The period of stay cannot end before the card was issued; check both dates."),
                code="before_issue",
            ),
        )
    if (data.stay_until is None) != (data.period_of_stay == "") and "period_of_stay" not in errors:
        _add(
            errors,
            "stay_until",
            ValidationError(
                _(
                    "Give both the period of stay and its end date, or neither (unlimited "
                    "stay, e.g. permanent residents)."
                ),
                code="period_and_end",
            ),
        )
    if data.last_moving_in_on is not None and data.last_moving_in_on > today:
        _add(
            errors,
            "last_moving_in_on",
            ValidationError(
                _("The moving-in notification date cannot be in the future."), code="future"
            ),
        )
