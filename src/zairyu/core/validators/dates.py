"""FMT-7 dates, and the one reading of typed dates, telephone and passport numbers."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import formats
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zairyu.core import clock

from .base import (
    _ASCII_DIGITS,
    _ASCII_LETTERS,
    _DASHES,
    _as_text,
    _Validator,
)

# --- FMT-7 dates -----------------------------------------------------------------------------

DateBound = dt.date | Callable[[], dt.date] | None


def _show_date(value: dt.date) -> str:
    return formats.date_format(value, "DATE_FORMAT")


def _resolve(bound: DateBound) -> dt.date | None:
    return bound() if callable(bound) else bound


@deconstructible(path="zairyu.core.validators.DateNotInFuture")
class DateNotInFuture(_Validator):
    """Refuse a date after today in Japan (FMT-7; 001 Q69: the event must have happened).

    Today comes from ``zairyu.core.clock``. ``birth=True`` for a date of birth: the message
    says a date of birth cannot be in the future (not "the date on which it happened").
    """

    code_prefix = "date"
    default_field = gettext_lazy("Date")

    def __init__(self, *, field: str | None = None, birth: bool = False) -> None:
        super().__init__(field=field)
        self.birth = birth

    def __call__(self, value: dt.date) -> None:
        if isinstance(value, dt.datetime):
            value = value.astimezone(clock.TOKYO).date()
        today = clock.today()
        if value > today:
            raise ValidationError(
                _(
                    "%(field)s (%(date)s) is in the future. A date of birth cannot be in the "
                    "future (today is %(today)s): check the year, month and day."
                )
                if self.birth
                else _(
                    "%(field)s (%(date)s) is in the future. Enter the date on which it "
                    "happened: today (%(today)s) or earlier."
                ),
                code="date_in_future",
                params={"field": self.label, "date": _show_date(value), "today": _show_date(today)},
            )


@deconstructible(path="zairyu.core.validators.DateRange")
class DateRange(_Validator):
    """Refuse a date before ``min_value`` or after ``max_value`` (FMT-7).

    A bound is a date, a callable returning one (evaluated at each call, e.g.
    ``lambda: clock.today() - relativedelta(years=120)``), or None for open.
    """

    code_prefix = "date"
    default_field = gettext_lazy("Date")

    def __init__(
        self,
        min_value: DateBound = None,
        max_value: DateBound = None,
        *,
        field: str | None = None,
    ) -> None:
        super().__init__(field=field)
        self.min_value = min_value
        self.max_value = max_value

    def __call__(self, value: dt.date) -> None:
        low, high = _resolve(self.min_value), _resolve(self.max_value)
        if low is not None and value < low:
            raise ValidationError(
                _("%(field)s (%(date)s) is too early. Enter %(min_value)s or later."),
                code="date_too_early",
                params={
                    "field": self.label,
                    "date": _show_date(value),
                    "min_value": _show_date(low),
                },
            )
        if high is not None and value > high:
            raise ValidationError(
                _("%(field)s (%(date)s) is too late. Enter %(max_value)s or earlier."),
                code="date_too_late",
                params={
                    "field": self.label,
                    "date": _show_date(value),
                    "max_value": _show_date(high),
                },
            )


def date_order(
    start: dt.date | None,
    end: dt.date | None,
    *,
    start_field: str,
    end_field: str,
    allow_same: bool = True,
) -> None:
    """Refuse an end date before its start date (FMT-7); either may be missing."""
    if start is None or end is None:
        return
    if end > start or (allow_same and end == start):
        return
    params = {
        "start_field": start_field,
        "end_field": end_field,
        "start": _show_date(start),
        "end": _show_date(end),
    }
    if allow_same:
        message = _(
            "%(end_field)s (%(end)s) is before %(start_field)s (%(start)s). Enter a date on or "
            "after %(start)s."
        )
    else:
        message = _(
            "%(end_field)s (%(end)s) must be after %(start_field)s (%(start)s). Enter a date "
            "after %(start)s."
        )
    raise ValidationError(message, code="date_order", params=params)


# --- typed dates, telephone and passport numbers ----------------------------------------------
#
# The one reading of each, for forms, the services' own checks, bulk rows and the API.

# What people type for a date: 2026-04-01, 2026/04/01, 2026.04.01 or 20260401, in full-width
# digits too (NFKC). ``TYPED_DATE_INPUT_FORMATS`` is the same list for Django's DateField.
TYPED_DATE_INPUT_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d")
_DATE_SEPARATED = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
_DATE_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")


def _typed(value: Any) -> str:
    return "" if value is None else _as_text(value)


def parse_typed_date(value: Any) -> dt.date | None:
    """The date ``value`` stands for, or None if it is not one.

    A ``date`` as is; a ``datetime`` as its day in Japan; text as typed (see above), with the
    time of an ISO timestamp ignored.
    """
    if isinstance(value, dt.datetime):
        return value.astimezone(clock.TOKYO).date()
    if isinstance(value, dt.date):
        return value
    text = unicodedata.normalize("NFKC", _typed(value)).strip().translate(_DASHES)
    text = text.split("T", 1)[0].split(" ", 1)[0]
    match = _DATE_SEPARATED.fullmatch(text) or _DATE_COMPACT.fullmatch(text)
    if not match:
        return None
    try:
        return dt.date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


def clean_typed_date(value: Any, *, field: str) -> dt.date:
    """``parse_typed_date`` or a ValidationError (code ``invalid_date``) that names ``field``."""
    day = parse_typed_date(value)
    if day is None:
        raise ValidationError(
            _("%(field)s is not a date. Enter it as YYYY-MM-DD, e.g. 2026-04-01."),
            code="invalid_date",
            params={"field": field},
        )
    return day


PHONE_MAX_LENGTH = 30
_PHONE_CHARACTERS = frozenset("0123456789-+()")


def clean_phone_number(value: Any, *, field: str) -> str:
    """A telephone number in its stored form: NFKC, dashes as "-", spaces removed.

    Digits, hyphens, "+" and brackets only, at most 30 characters; "" stays "" (whether it is
    required is the caller's rule). Code ``phone_invalid``.
    """
    compact = unicodedata.normalize("NFKC", _typed(value)).translate(_DASHES)
    compact = "".join(compact.split())
    if compact and (
        len(compact) > PHONE_MAX_LENGTH or any(c not in _PHONE_CHARACTERS for c in compact)
    ):
        raise ValidationError(
            _("%(field)s: digits and hyphens only, e.g. 03-1234-5678."),
            code="phone_invalid",
            params={"field": field},
        )
    return compact


PASSPORT_MAX_LENGTH = 20


def clean_passport_number(value: Any, *, field: str) -> str:
    """A passport number in its stored form: NFKC, spaces removed, upper case.

    ASCII letters and digits only, at most 20 characters; "" stays "". Code ``passport_invalid``.
    """
    compact = "".join(unicodedata.normalize("NFKC", _typed(value)).split()).upper()
    if compact and (
        len(compact) > PASSPORT_MAX_LENGTH
        or any(c not in _ASCII_LETTERS and c not in _ASCII_DIGITS for c in compact)
    ):
        raise ValidationError(
            _("%(field)s: letters and digits only, as printed in the passport."),
            code="passport_invalid",
            params={"field": field},
        )
    return compact
