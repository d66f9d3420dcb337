"""Metrics (SEC-7): gauges of the work waiting in the system, for Prometheus to scrape.

Each app registers, in its ``AppConfig.ready``, the gauges of its own work (``register_gauge``),
as it registers its sweeper: mails not yet sent, notifications waiting for the registry, open
service O filings and applications, bulk jobs not done, audit events not yet sealed. A gauge
reads one query over rows that are not final (small, indexed sets), never the whole history.
``exposition`` renders them in the Prometheus text format; ``views.metrics`` serves it at
``/metrics`` to a scraper holding ``ZAIRYU_METRICS_TOKEN`` (docs/operations.md).

Counters (``register_counter``, ``count``) count events, such as a wake-up the broker refused.
They live in the database (``EventCounter``), so every web and worker process adds to the same
number and any web process answers the scrape with it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Count, F, QuerySet

log = logging.getLogger(__name__)

# {label value: number}; one label per gauge is all the gauges here need.
Reading = dict[str, float]


@dataclass(frozen=True)
class Gauge:
    name: str
    help: str
    label: str
    read: Callable[[], Reading]


_gauges: dict[str, Gauge] = {}


def register_gauge(name: str, help: str, read: Callable[[], Reading], *, label: str = "state"):
    """Add a gauge ``name`` (``zairyu_…``) whose ``read`` answers {label value: number}."""
    if not name.startswith("zairyu_") or not name.replace("_", "").isalnum():
        raise ValueError(f"not a metric name: {name!r}")
    _gauges[name] = Gauge(name=name, help=help, label=label, read=read)


_counters: dict[str, str] = {}


def register_counter(name: str, help: str) -> None:
    """Add a counter ``name`` (``zairyu_…_total``); ``count`` adds to it."""
    if not name.startswith("zairyu_") or not name.endswith("_total"):
        raise ValueError(f"not a counter name: {name!r}")
    _counters[name] = help


def count(name: str, by: int = 1) -> None:
    """Add ``by`` to the counter ``name`` (one UPDATE; the row is made the first time)."""
    from .models import EventCounter

    if name not in _counters:
        raise KeyError(f"counter not registered: {name}")
    with transaction.atomic():
        if EventCounter.objects.filter(name=name).update(value=F("value") + by):
            return
        try:
            with transaction.atomic():
                EventCounter.objects.create(name=name, value=by)
        except IntegrityError:  # another process made it first
            EventCounter.objects.filter(name=name).update(value=F("value") + by)


def count_by_state(rows: QuerySet, states: Iterable[str]) -> Reading:
    """How many of ``rows`` are in each of ``states`` (0 for a state with none), one query."""
    wanted = list(states)
    found = dict(
        rows.filter(state__in=wanted).order_by().values_list("state").annotate(n=Count("pk"))
    )
    return {state: float(found.get(state, 0)) for state in wanted}


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def exposition() -> str:
    """Every registered gauge in the Prometheus text format (0.0.4). A gauge whose query
    fails is left out and counted in ``zairyu_metric_errors``: one broken gauge never hides
    the others."""
    lines: list[str] = []
    errors = 0
    for name, gauge in sorted(_gauges.items()):
        try:
            reading = gauge.read()
        except Exception:
            log.exception("metric %s could not be read", name)
            errors += 1
            continue
        lines.append(f"# HELP {name} {gauge.help}")
        lines.append(f"# TYPE {name} gauge")
        for value, number in sorted(reading.items()):
            if value:
                lines.append(f'{name}{{{gauge.label}="{_escape(value)}"}} {number:g}')
            else:
                lines.append(f"{name} {number:g}")
    if _counters:
        from .models import EventCounter

        try:
            values = dict(
                EventCounter.objects.filter(name__in=list(_counters)).values_list("name", "value")
            )
        except Exception:
            log.exception("counters could not be read")
            errors += 1
        else:
            for name, help_text in sorted(_counters.items()):
                lines.append(f"# HELP {name} {help_text}")
                lines.append(f"# TYPE {name} counter")
                lines.append(f"{name} {values.get(name, 0)}")
    lines.append("# HELP zairyu_metric_errors Gauges that could not be read in this scrape.")
    lines.append("# TYPE zairyu_metric_errors gauge")
    lines.append(f"zairyu_metric_errors {errors}")
    return "\n".join(lines) + "\n"
