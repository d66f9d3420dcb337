"""Administrative days (REFERENCE.md §8).

Holidays are Saturdays, Sundays, national holidays (jpholiday) and the year-end closure from
29 December to 3 January, plus the extra closure days an administrator adds (the reference
app's AdministrativeClosure table). A deadline that falls on a holiday moves to the next
business day.

This module does not import the reference app: the app registers its table as the source of
extra closures when Django starts (``set_closure_source``). The source answers per year and
caches per process (see zairyu/reference/cache.py), so a loop over days costs at most one query
per year.
"""

import calendar
import datetime as dt
from collections.abc import Callable

import jpholiday

from . import clock

ClosureSource = Callable[[int], frozenset[dt.date]]
_closure_source: ClosureSource | None = None


def set_closure_source(source: ClosureSource | None) -> None:
    """Register the function that returns the extra closure days of a year (None: no extras)."""
    global _closure_source
    _closure_source = source


def is_extra_closure(day: dt.date) -> bool:
    """Return True when an administrator has closed the offices on ``day``."""
    if _closure_source is None:
        return False
    return day in _closure_source(day.year)


def is_year_end_closure(day: dt.date) -> bool:
    """Return True from 29 December to 3 January inclusive."""
    return (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)


def is_business_day(day: dt.date) -> bool:
    """Return True when government offices are open on ``day``."""
    if day.weekday() >= 5:
        return False
    if is_year_end_closure(day):
        return False
    if jpholiday.is_holiday(day):
        return False
    return not is_extra_closure(day)


def next_business_day(day: dt.date) -> dt.date:
    """Return the first business day strictly after ``day``."""
    candidate = day + dt.timedelta(days=1)
    while not is_business_day(candidate):
        candidate += dt.timedelta(days=1)
    return candidate


def roll_forward(day: dt.date) -> dt.date:
    """Return ``day`` itself when it is a business day, else the next business day."""
    return day if is_business_day(day) else next_business_day(day)


def deadline(event: dt.date, *, days: int) -> dt.date:
    """Return the last day to act on an event with a ``days``-day limit (e.g. 14 for Art. 19-16).

    The period counts from the day after the event (Civil Code art. 140: the first day is not
    counted), so an event on 1 April with 14 days ends on 15 April; a last day that is a holiday
    moves to the next business day (Act on Administrative Holidays art. 2).
    """
    return roll_forward(event + dt.timedelta(days=days))


def days_left(last_day: dt.date, *, today: dt.date | None = None) -> int:
    """Return how many days remain until ``last_day`` (0 on the day itself, negative when late)."""
    return (last_day - (today or clock.today())).days


# --- calendar arithmetic ---------------------------------------------------------------------
#
# The one place months, years and ages are counted; everyone else calls these.


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (earlier when negative); the month's last day when that
    month is shorter (31 March + 1 month = 30 April)."""
    index = day.year * 12 + day.month - 1 + months
    year, month0 = divmod(index, 12)
    last = calendar.monthrange(year, month0 + 1)[1]
    return dt.date(year, month0 + 1, min(day.day, last))


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` earlier (the month's last day when it has fewer days)."""
    return add_months(day, -months)


def add_years(day: dt.date, years: int) -> dt.date:
    """The same day ``years`` later (earlier when negative); 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def age_on(birth_date: dt.date, on: dt.date) -> int:
    """Completed years of age on ``on`` (a year is completed on the birthday)."""
    years = on.year - birth_date.year
    if (on.month, on.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years
