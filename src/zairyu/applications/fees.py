"""The fee of an application (REFERENCE.md §7, REF-6, A-13): one line per procedure applied for.

Amounts are reference data (``reference.Fee`` through ``reference.selectors.fee_for``), never
constants here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from zairyu.core import clock
from zairyu.reference.selectors import fee_for

from .models import OTHER_ACTIVITY_PROCEDURE, REENTRY_PROCEDURE, Application


@dataclass(frozen=True)
class FeeLine:
    procedure: str  # reference.Procedure code
    amount: int


@dataclass(frozen=True)
class FeeBreakdown:
    """The revenue-stamp fee of an application: one line per procedure (0 = free)."""

    lines: tuple[FeeLine, ...]
    on: dt.date
    online: bool

    @property
    def total(self) -> int:
        return sum(line.amount for line in self.lines)


def fee_for_application(
    application: Application, *, on: dt.date | None = None, online: bool = True
) -> FeeBreakdown:
    """Return the fee of ``application`` accepted on ``on`` (REFERENCE.md §7, REF-6).

    ``on`` is the acceptance date: by default the filing date (``filed_on``), else today. Lines:
    the main procedure (change / extension 5,500 online from 2025-04-01, 4,000 before; work
    certificate 1,600 / 1,200; COE and acquisition free), then the re-entry permit (single
    3,500 / multiple 6,500 online) and other-activity permission (free) when applied for with
    it. ``online=False`` gives the counter amounts (an application moved to the counter).
    """
    on = on or application.filed_on or clock.today()
    codes = [application.procedure_id]
    if application.reentry:
        codes.append(REENTRY_PROCEDURE[application.reentry])
    if application.other_activity:
        codes.append(OTHER_ACTIVITY_PROCEDURE)
    lines = tuple(FeeLine(code, fee_for(code, on=on, online=online)) for code in codes)
    return FeeBreakdown(lines=lines, on=on, online=online)
