"""Business rules of service O, one function per rule (SPEC OF-1, OF-2, OF-3; seed 004)."""

from __future__ import annotations

import calendar
import datetime as dt

from django.conf import settings
from django.db.models import QuerySet

from zairyu.accounts.models import Category
from zairyu.cards.models import Organization
from zairyu.core import clock, days
from zairyu.reference.models import ServiceOKind

from . import kinds
from .models import O_EDITABLE, O_FILING, OFiling, OFilingState

# Which organizations file which kinds (REFERENCE.md §4).
FILER_FOR_ORGANIZATION = {
    Organization.Kind.SSW_EMPLOYER: ServiceOKind.Filer.SSW_ORGANIZATION,
    Organization.Kind.SUPPORT_ORGANIZATION: ServiceOKind.Filer.RSO,
    Organization.Kind.LANGUAGE_SCHOOL: ServiceOKind.Filer.JLI,
}


def uses_service_o(user) -> bool:
    """An organization account registered for service O (ID-2: the officer ticked it)."""
    return bool(
        user is not None
        and user.is_authenticated
        and user.category == Category.ORGANIZATION
        and user.uses_service_o
    )


def filer_kind(organization: Organization) -> str | None:
    """The kind of service-O filer an organization is (None: it files nothing here)."""
    return FILER_FOR_ORGANIZATION.get(organization.kind)


def may_file(kind: ServiceOKind, organization: Organization) -> bool:
    """OF-1: an organization files the kinds of its own type, and only kinds with items."""
    return kind.filer == filer_kind(organization) and kinds.spec_for(kind) is not None


def kinds_for(organization: Organization) -> QuerySet[ServiceOKind]:
    """The kinds an organization may file, in the reference data's order."""
    codes = list(kinds.SPECS)
    return ServiceOKind.objects.filter(filer=filer_kind(organization), code__in=codes)


def is_returnable(kind: ServiceOKind) -> bool:
    """OF-2, 004 Q11-Q12: only JLI reports can be returned for correction (返却中)."""
    return bool(kind.returnable)


def may_transition(kind: ServiceOKind, from_state: str, to_state: str) -> bool:
    """The state table (``O_FILING``), plus: only returnable kinds enter 返却中."""
    if not O_FILING.allows(from_state, to_state):
        return False
    return to_state != OFilingState.RETURNED or is_returnable(kind)


def filer_may_change(state: str) -> bool:
    """004 Q11, Q12: pending and returned filings can be changed or withdrawn; completed not."""
    return state in O_EDITABLE


def corrected(filing, cleaned: kinds.Cleaned) -> bool:
    """004 Q11: a returned report "needs its content corrected" before it is filed again — the
    new items or sheet rows differ from the returned ones."""
    content = filing.content or {}
    return cleaned.items != content.get("items") or cleaned.rows != content.get("workers", [])


# --- the periodic notification's window (form 3-6) ---------------------------------------------


def _month_day(text: str, year: int) -> dt.date:
    month, day = (int(part) for part in text.split("-"))
    return dt.date(year, month, day)


def has_window(kind: ServiceOKind) -> bool:
    return kind.deadline == ServiceOKind.Deadline.WINDOW and bool(
        kind.window_start and kind.window_end
    )


def window(kind: ServiceOKind, year: int) -> tuple[dt.date, dt.date]:
    """The filing window of a periodic kind in ``year`` (1 April - 31 May for form 3-6)."""
    return _month_day(kind.window_start, year), _month_day(kind.window_end, year)


def in_window(kind: ServiceOKind, *, today: dt.date | None = None) -> bool:
    """A kind with a window is filed only inside it; other kinds any day."""
    if not has_window(kind):
        return True
    today = today or clock.today()
    start, end = window(kind, today.year)
    return start <= today <= end


def refiling_after_completion(
    kind: ServiceOKind, organization: Organization | None, *, today: dt.date | None = None
) -> bool:
    """004 Q12: a completed filing cannot be changed; if it was wrong, it is filed again.

    For the periodic notification that can be after its window closed: an organization whose
    notification for the fiscal year the window was for is completed may file it again (marked
    late) until the next window opens.
    """
    if not has_window(kind) or organization is None:
        return False
    year = periodic_period(today=today)[0]
    return OFiling.objects.filter(
        organization=organization, kind=kind, fiscal_year=year, state=OFilingState.COMPLETED
    ).exists()


def may_file_today(
    kind: ServiceOKind, organization: Organization | None, *, today: dt.date | None = None
) -> bool:
    """A kind with a window is filed inside it, or again after a completed one (004 Q12)."""
    return in_window(kind, today=today) or refiling_after_completion(
        kind, organization, today=today
    )


def next_window_start(kind: ServiceOKind, *, today: dt.date | None = None) -> dt.date:
    today = today or clock.today()
    start, _ = window(kind, today.year)
    return start if today < start else window(kind, today.year + 1)[0]


def periodic_period(*, today: dt.date | None = None) -> tuple[int, dt.date, dt.date]:
    """The fiscal year a periodic notification filed ``today`` covers: (year, 1 April, 31 March).

    Filed from 1 April to 31 May, it covers the year that ended on the last 31 March.
    """
    today = today or clock.today()
    year = today.year - 1 if today.month >= 4 else today.year - 2
    return year, dt.date(year, 4, 1), dt.date(year + 1, 3, 31)


# --- deadlines ---------------------------------------------------------------------------------


def event_date(kind: ServiceOKind, items: dict) -> dt.date | None:
    """The date the kind's deadline counts from, read from the stored items."""
    spec = kinds.spec_for(kind)
    value = items.get(spec.date_item) if spec and spec.date_item else None
    if not value:
        return None
    if len(value) == 7:  # a month: its last day
        year, month = int(value[:4]), int(value[5:])
        return dt.date(year, month, calendar.monthrange(year, month)[1])
    return dt.date.fromisoformat(value)


def deadline(kind: ServiceOKind, on: dt.date | None, *, today: dt.date | None = None):
    """The last day to file (REFERENCE.md §4, §8: a holiday moves it to the next business day).

    - days after the event / after learning of it: ``deadline_value`` days;
    - months before: the filing is due ``deadline_value`` months before the date;
    - end of the next month: the last day of the month after the event;
    - window: the last day of the window for the fiscal year filed today (``periodic_period``:
      in the window, this year's; after it, a re-filing's window that has closed);
    - none: None.
    """
    rule = kind.deadline
    if rule == ServiceOKind.Deadline.WINDOW and has_window(kind):
        return window(kind, periodic_period(today=today)[0] + 1)[1]
    if on is None:
        return None
    if rule in (ServiceOKind.Deadline.DAYS_AFTER_EVENT, ServiceOKind.Deadline.DAYS_AFTER_KNOWING):
        return days.deadline(on, days=kind.deadline_value or 14)
    if rule == ServiceOKind.Deadline.MONTHS_BEFORE:
        # "One month before resuming": no roll-forward, the day is the latest day to file.
        return days.add_months(on, -(kind.deadline_value or 1))
    if rule == ServiceOKind.Deadline.END_OF_NEXT_MONTH:
        first_of_next = days.add_months(on.replace(day=1), 1)
        last = first_of_next.replace(
            day=calendar.monthrange(first_of_next.year, first_of_next.month)[1]
        )
        return days.roll_forward(last)
    return None


def is_late(last_day: dt.date | None, today: dt.date) -> bool:
    """A late filing is accepted and marked (NF-2 applied to service O)."""
    return last_day is not None and today > last_day


# --- retention (OF-3, 004 Q10) ------------------------------------------------------------------


def retention_days() -> int:
    """How many days a completed or withdrawn filing stays in 申込内容照会."""
    return int(settings.ZAIRYU_SERVICE_O_RETENTION_DAYS)


def purge_before(*, now: dt.datetime | None = None) -> dt.datetime:
    """Final filings that became final before this moment are deleted."""
    return (now or clock.now()) - dt.timedelta(days=retention_days())
