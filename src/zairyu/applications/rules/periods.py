"""Periods of stay and the windows they open (A-4 [B], 002 Q4-11), counted with the one
calendar arithmetic (``zairyu.core.days``)."""

from __future__ import annotations

import datetime as dt

from zairyu.cards import normalise
from zairyu.cards.models import ResidenceCard
from zairyu.core.days import months_before

# Acquisition of status (Art. 22-2): within 30 days of birth or the other event (002 Q4-11).
ACQUISITION_DAYS = 30
# The agency's extension window: from three months before expiry for stays of six months or
# more; shorter stays from about half the period (REFERENCE / SPEC A-4 [B]).
EXTENSION_MONTHS_BEFORE = 3
LONG_STAY_MONTHS = 6


def period_start(stay_until: dt.date, period: str) -> dt.date | None:
    """The first day of a period of stay of ``period`` (ISO 8601) ending on ``stay_until``."""
    parts = normalise.period_parts(period)
    if parts is None:
        return None
    years, months, days = parts
    return months_before(stay_until, years * 12 + months) - dt.timedelta(days=days - 1)


def period_days(period: str) -> int | None:
    """The approximate length of a period in days (months of 30 days), None when unlimited."""
    parts = normalise.period_parts(period)
    if parts is None:
        return None
    years, months, days = parts
    return years * 365 + months * 30 + days


def extension_opens_on(card: ResidenceCard) -> dt.date | None:
    """The first day an extension may be filed online for the holder of ``card`` (A-4 [B]).

    Stays of six months or more: three months before the last day of the period. Shorter
    stays: from the middle of the period. None when the stay is unlimited (nothing to extend).
    """
    if card.stay_until is None:
        return None
    start = period_start(card.stay_until, card.period_of_stay)
    if start is None:
        return None
    long_stay_start = months_before(card.stay_until, LONG_STAY_MONTHS) + dt.timedelta(days=1)
    if start <= long_stay_start:
        return months_before(card.stay_until, EXTENSION_MONTHS_BEFORE)
    length = (card.stay_until - start).days + 1
    return start + dt.timedelta(days=length // 2)


def acquisition_last_day(event_date: dt.date) -> dt.date:
    """The last day to apply for acquisition: 30 days after birth or the event (Q4-11)."""
    return event_date + dt.timedelta(days=ACQUISITION_DAYS)
