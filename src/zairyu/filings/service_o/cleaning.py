"""Checking a service O filing's values against its kind (forms, services, bulk filing and the
API all call ``clean_values``): each value's stored form and the conversions made (FMT-4 text
converted to full width and the conversion reported), or every error by its field."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from zairyu.core import clock
from zairyu.core.validators import (
    DateNotInFuture,
    JisX0208Text,
    ResidenceCardNumber,
    RomanName,
    RomanNameForm,
    clean_typed_date,
    conversion_notice,
    refuse_my_number,
)

from .items import (
    CARD_NUMBER,
    CHOICE,
    DATE,
    DECIMAL,
    INTEGER,
    LONG_TEXT,
    MONTH,
    ROMAN_NAME,
    RSO_NUMBER,
    TEXT,
    YEN,
    Item,
    KindSpec,
    _flat,
    choices,
)
from .specs import row_key, sheet_multiple, spec_for

_RSO_NUMBER_PATTERN = re.compile(r"^(\d{2})登-?(\d{6})$")
_MONTH = re.compile(r"^(\d{4})[-/.年](\d{1,2})月?$")


@dataclass
class Cleaned:
    items: dict[str, Any]
    rows: list[dict[str, Any]]
    notices: list[str]
    errors: dict[str, list[ValidationError]]


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def _text_of(value: Any) -> str:
    return unicodedata.normalize("NFKC", str(value)).strip()


def clean_value(item: Item, value: Any, *, label: str | None = None) -> tuple[Any, str | None]:  # noqa: C901 - a debt (docs/architecture.md)
    """Return (stored value, conversion notice or None); raise ValidationError naming the field."""
    label = label or str(item.label)
    if item.type in (TEXT, LONG_TEXT):
        refuse_my_number(value, field=label)
        result = JisX0208Text(
            field=label,
            max_length=item.max_length,
            convert_halfwidth=True,
            multiline=item.type == LONG_TEXT,
        ).clean(value)
        return result.value, conversion_notice(result, field=label)
    if item.type == CARD_NUMBER:
        result = ResidenceCardNumber(field=label).clean(value)
        return result.value, conversion_notice(result, field=label)
    if item.type == ROMAN_NAME:
        result = RomanName(RomanNameForm.SPACES, field=label).clean(value)
        return result.value, conversion_notice(result, field=label)
    if item.type == DATE:
        day = clean_typed_date(value, field=label)
        if item.not_future:
            DateNotInFuture(field=label, birth=item.code == "birth_date")(day)
        return day.isoformat(), None
    if item.type == MONTH:
        return _month_value(value, label), None
    if item.type == CHOICE:
        text = str(value).strip()
        if text not in _flat(choices(item)):
            raise ValidationError(
                _("%(field)s: choose one from the list.") % {"field": label},
                code="invalid_choice",
            )
        return text, None
    if item.type in (INTEGER, YEN):
        return _number(item, value, label, whole=True), None
    if item.type == DECIMAL:
        return _number(item, value, label, whole=False), None
    if item.type == RSO_NUMBER:
        text = _text_of(value).replace("ー", "-").replace("−", "-")
        match = _RSO_NUMBER_PATTERN.match(text)
        if match is None:
            raise ValidationError(
                _("%(field)s: write two digits, 登, a hyphen and six digits, e.g. 19登-000001.")
                % {"field": label},
                code="rso_number",
            )
        return f"{match[1]}登-{match[2]}", None
    raise ValueError(f"unknown item type {item.type!r}")


def _month_value(value: Any, label: str) -> str:
    if isinstance(value, dt.date):
        year, month = value.year, value.month
    else:
        match = _MONTH.match(_text_of(value))
        if match is None:
            raise ValidationError(
                _("%(field)s: enter the year and month as YYYY-MM, e.g. 2026-04.")
                % {"field": label},
                code="invalid_month",
            )
        year, month = int(match[1]), int(match[2])
    if not 1 <= month <= 12:
        raise ValidationError(
            _("%(field)s: the month must be 01 to 12.") % {"field": label}, code="invalid_month"
        )
    today = clock.today()
    if (year, month) > (today.year, today.month):
        raise ValidationError(
            _("%(field)s (%(month)s) is in the future. Enter this month or an earlier one.")
            % {"field": label, "month": f"{year:04d}-{month:02d}"},
            code="month_in_future",
        )
    return f"{year:04d}-{month:02d}"


def _number(item: Item, value: Any, label: str, *, whole: bool):
    text = _text_of(value).replace(",", "").replace("円", "").replace("%", "")
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise ValidationError(
            _("%(field)s is not a number. Enter digits only, e.g. %(example)s.")
            % {"field": label, "example": "230000" if whole else "21.5"},
            code="invalid_number",
        )
    if whole and number != number.to_integral_value():
        raise ValidationError(
            _("%(field)s: enter a whole number.") % {"field": label}, code="not_whole"
        )
    if not whole and number != number.quantize(Decimal("0.1")):
        raise ValidationError(
            _("%(field)s: use at most one decimal place.") % {"field": label},
            code="too_many_decimals",
        )
    low, high = item.min_value, item.max_value
    if (low is not None and number < low) or (high is not None and number > high):
        raise ValidationError(
            _("%(field)s must be between %(min)s and %(max)s.")
            % {"field": label, "min": low, "max": high},
            code="out_of_range",
        )
    return int(number) if whole else str(number.quantize(Decimal("0.1")))


def _required(label: str) -> ValidationError:
    return ValidationError(_("%(field)s is empty. Fill it in.") % {"field": label}, code="required")


def clean_values(
    kind, items: Mapping[str, Any], rows: list[Mapping[str, Any]] | None = None
) -> Cleaned:
    """Check a filing's items and sheet rows against the kind's definition.

    Returns the stored values, the conversions made (to show) and every error, keyed by the
    item code or by ``row_key(index, code)`` for a sheet row, so forms show each by its field.
    """
    spec = spec_for(kind)
    if spec is None:
        raise ValueError(f"no items are defined for the kind {kind!r}")
    found: Found = {}
    notices: list[str] = []
    stored = _clean_items(spec.items, items, found, notices)
    if stored.get("end_reason") == "other" and not stored.get("end_reason_detail"):
        found.setdefault("end_reason_detail", []).append(
            ValidationError(
                _("Reason in detail is empty. Describe the reason when it is “Other”."),
                code="required",
            )
        )
    cleaned_rows: list[dict[str, Any]] = []
    if spec.sheet is not None:
        cleaned_rows = _clean_sheet(kind, spec, rows or [], found, notices)
    start, end = stored.get("contract_start"), stored.get("contract_end")
    if start and end and end < start:
        found.setdefault("contract_end", []).append(
            ValidationError(
                _("The end of the contract period is before its start. Correct the dates."),
                code="date_order",
            )
        )
    if not found:
        for check in spec.checks:
            for key, errors in check(stored, cleaned_rows).items():
                found.setdefault(key, []).extend(errors)
    return Cleaned(items=stored, rows=cleaned_rows, notices=notices, errors=found)


Found = dict[str, list[ValidationError]]


def _clean_items(
    items: tuple[Item, ...],
    values: Mapping[str, Any],
    found: Found,
    notices: list[str],
    *,
    label: str = "",
    key=None,
) -> dict[str, Any]:
    """The stored values of ``items`` (the filing's, or one sheet row's when ``label`` names the
    row and ``key`` its error keys); errors go to ``found``, conversions to ``notices``."""
    stored: dict[str, Any] = {}
    for item in items:
        item_label = f"{label}: {item.label}" if label else str(item.label)
        value = values.get(item.code)
        error_key = key(item.code) if key else item.code
        if _empty(value):
            if item.required:
                found[error_key] = [_required(item_label)]
            continue
        try:
            stored[item.code], notice = clean_value(
                item, value, label=item_label if label else None
            )
        except ValidationError as exc:
            found[error_key] = exc.error_list
            continue
        if notice:
            notices.append(notice)
    return stored


def _clean_sheet(
    kind, spec: KindSpec, rows: list[Mapping[str, Any]], found: Found, notices: list[str]
) -> list[dict[str, Any]]:
    """The sheet's rows as stored (blank rows left out): at least one, at most the sheet's
    limit (one when the kind files one person), each person once."""
    sheet = spec.sheet
    given = [row for row in rows if not all(_empty(v) for v in row.values())]
    if not given:
        found.setdefault("workers", []).append(
            ValidationError(
                _("%(sheet)s: enter at least one person.") % {"sheet": sheet.label},
                code="no_rows",
            )
        )
    limit = sheet.max_rows if sheet_multiple(kind, spec) else 1
    if len(given) > limit:
        found.setdefault("workers", []).append(
            ValidationError(
                _(
                    "%(sheet)s: at most %(max)d people in one filing; %(count)d were "
                    "entered. File the others separately."
                )
                % {"sheet": sheet.label, "max": limit, "count": len(given)},
                code="too_many_rows",
            )
        )
    cleaned_rows = []
    for index, row in enumerate(rows):
        if all(_empty(v) for v in row.values()):
            continue
        cleaned_rows.append(
            _clean_items(
                sheet.items,
                row,
                found,
                notices,
                label=str(sheet.row_label) % {"n": index + 1},
                key=lambda code, index=index: row_key(index, code),
            )
        )
    numbers = [r.get("card_number") for r in cleaned_rows if r.get("card_number")]
    if len(numbers) != len(set(numbers)):
        found.setdefault("workers", []).append(
            ValidationError(
                _("The same residence card number is entered twice. List each person once."),
                code="duplicate_person",
            )
        )
    return cleaned_rows
