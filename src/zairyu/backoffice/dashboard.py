"""The applications dashboard (BO-6 [B]): backlog per office and state, applications filed per
day over the last 30 days, and days from filing to decision (median and distribution).

Charts are SVG drawn on the server from the numbers below (no JavaScript, no chart library, no
build step; presentation attributes only, so the strict CSP holds), each followed by the same
numbers as a table for screen readers and for anyone who prefers figures (WCAG 1.1.1). Only
counts are shown — no application and no person — so the page writes no audit event.
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass

from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from zairyu.applications.models import ApplicationState
from zairyu.core import clock
from zairyu.reference.models import Bureau

from .access import applications_for_statistics, officer_required

S = ApplicationState
BACKLOG_STATES = [S.SUBMITTED, S.RECEIPT_ERROR, S.EXAMINING, S.AWAITING_ISSUE]
# Colour per backlog state (colour-blind safe, Okabe-Ito); the table repeats every number.
STATE_COLOURS = {
    S.SUBMITTED: "#0072B2",
    S.RECEIPT_ERROR: "#D55E00",
    S.EXAMINING: "#009E73",
    S.AWAITING_ISSUE: "#CC79A7",
}
DAYS = 30
DECISION_WINDOW_DAYS = 365
# Distribution buckets of days from filing to decision: (label, lowest, highest or None).
BUCKETS = [
    ("0–7", 0, 7),
    ("8–14", 8, 14),
    ("15–30", 15, 30),
    ("31–60", 31, 60),
    ("61–90", 61, 90),
    ("91+", 91, None),
]


def backlog(applications) -> list[dict]:
    """Pending applications per office and state (submitted, receipt error, examining,
    awaiting issuance), offices in the agency's order; offices with none are left out."""
    rows = (
        applications.filter(state__in=BACKLOG_STATES)
        .values_list("bureau_id", "state")
        .annotate(n=Count("id"))
    )
    counts: dict[str | None, dict[str, int]] = {}
    for bureau_id, state, n in rows:
        counts.setdefault(bureau_id, {})[state] = n
    names = {b.code: b for b in Bureau.objects.filter(code__in=[k for k in counts if k])}
    order = sorted(counts, key=lambda k: (names[k].sort_order, k) if k in names else (999, ""))
    return [
        {
            "bureau": names[key].name_ja if key in names else str(_("No office yet")),
            "counts": [counts[key].get(state, 0) for state in BACKLOG_STATES],
            "total": sum(counts[key].values()),
        }
        for key in order
    ]


def filings_per_day(applications, *, days: int = DAYS, today: dt.date | None = None) -> list:
    """(day, number of applications filed that day) for the last ``days`` days, oldest first."""
    today = today or clock.today()
    start = today - dt.timedelta(days=days - 1)
    counts = dict(
        applications.filter(filed_on__gte=start, filed_on__lte=today)
        .values_list("filed_on")
        .annotate(n=Count("id"))
        .values_list("filed_on", "n")
    )
    return [
        (start + dt.timedelta(days=i), counts.get(start + dt.timedelta(days=i), 0))
        for i in range(days)
    ]


@dataclass
class DecisionTimes:
    count: int
    median: float | None
    buckets: list[tuple[str, int]]


def days_to_decision(applications, *, today: dt.date | None = None) -> DecisionTimes:
    """Days from filing to decision of the applications decided in the last year."""
    today = today or clock.today()
    since = today - dt.timedelta(days=DECISION_WINDOW_DAYS)
    rows = applications.filter(
        decided_at__isnull=False, filed_on__isnull=False, decided_at__date__gte=since
    ).values_list("filed_on", "decided_at")
    days = [
        max(0, (decided.astimezone(clock.TOKYO).date() - filed).days) for filed, decided in rows
    ]
    buckets = []
    for label, low, high in BUCKETS:
        buckets.append((label, sum(1 for d in days if d >= low and (high is None or d <= high))))
    return DecisionTimes(
        count=len(days), median=statistics.median(days) if days else None, buckets=buckets
    )


# --- SVG geometry (the template draws what these compute) ------------------------------------

CHART_WIDTH = 720
BAR_HEIGHT = 22
LABEL_WIDTH = 170


def _scale(maximum: int) -> int:
    return max(1, maximum)


def stacked_bars(rows: list[dict]) -> dict:
    """Horizontal stacked bars, one per office, segments per backlog state."""
    top = _scale(max((row["total"] for row in rows), default=0))
    usable = CHART_WIDTH - LABEL_WIDTH - 50
    bars = []
    for index, row in enumerate(rows):
        x = LABEL_WIDTH
        segments = []
        for state, n in zip(BACKLOG_STATES, row["counts"], strict=True):
            width = round(usable * n / top, 1)
            if n:
                segments.append(
                    {
                        "x": x,
                        "width": width,
                        "colour": STATE_COLOURS[state],
                        "n": n,
                        "label": S(state).label,
                    }
                )
            x += width
        bars.append(
            {
                "y": 10 + index * (BAR_HEIGHT + 8),
                "label": row["bureau"],
                "segments": segments,
                "total": row["total"],
                "end": x + 6,
            }
        )
    height = 20 + len(rows) * (BAR_HEIGHT + 8)
    return {
        "bars": bars,
        "height": max(height, 40),
        "width": CHART_WIDTH,
        "bar_height": BAR_HEIGHT,
        "label_x": LABEL_WIDTH - 8,
    }


def column_chart(values: list[tuple[str, int]], *, height: int = 200) -> dict:
    """Vertical columns with a baseline and the maximum marked."""
    top = _scale(max((v for _label, v in values), default=0))
    left, bottom = 40, height - 30
    usable_h = bottom - 15
    step = (CHART_WIDTH - left - 10) / max(1, len(values))
    columns = []
    for index, (label, value) in enumerate(values):
        h = round(usable_h * value / top, 1)
        columns.append(
            {
                "x": round(left + index * step + step * 0.15, 1),
                "y": round(bottom - h, 1),
                "width": round(step * 0.7, 1),
                "height": h,
                "label": label,
                "value": value,
                "label_x": round(left + index * step + step / 2, 1),
                "show_label": len(values) <= 12 or index % 5 == 0 or index == len(values) - 1,
            }
        )
    return {
        "columns": columns,
        "height": height,
        "width": CHART_WIDTH,
        "bottom": bottom,
        "left": left,
        "top": top,
        "top_y": 15,
    }


@officer_required("dashboard")
def dashboard(request: HttpRequest) -> HttpResponse:
    applications = applications_for_statistics(request.user)
    today = clock.today()
    backlog_rows = backlog(applications)
    per_day = filings_per_day(applications, today=today)
    decisions = days_to_decision(applications, today=today)
    return render(
        request,
        "backoffice/dashboard.html",
        {
            "today": today,
            "states": [(S(state).label, STATE_COLOURS[state]) for state in BACKLOG_STATES],
            "backlog": backlog_rows,
            "backlog_chart": stacked_bars(backlog_rows),
            "per_day": per_day,
            "per_day_total": sum(n for _day, n in per_day),
            "per_day_chart": column_chart([(day.strftime("%m-%d"), n) for day, n in per_day]),
            "decisions": decisions,
            "decisions_chart": column_chart(decisions.buckets),
        },
    )
