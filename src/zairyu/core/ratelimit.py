"""Fixed-window rate limits kept in the database, so every web process sees the same counts.

Used for log-in, registration and re-notification (SEC-5); see
docs/decisions/0004-rate-limits-and-lock-out.md for the limits and why. ``attempt`` is the one
way to count an attempt that is refused once its window is used up (``RateLimited``).
"""

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import F

from . import clock
from .models import RateCounter


class RateLimited(Exception):  # noqa: N818 - the name says what happened
    """Too many attempts under one key in its window (SEC-5); the view says when to come back."""


def _window_start(now: dt.datetime, window: dt.timedelta) -> dt.datetime:
    seconds = int(window.total_seconds())
    epoch = int(now.timestamp())
    return dt.datetime.fromtimestamp(epoch - epoch % seconds, tz=dt.UTC)


def hit(key: str, *, limit: int, window: dt.timedelta) -> bool:
    """Count one event for ``key``; return False when the window's limit is exceeded."""
    now = clock.now()
    start = _window_start(now, window)
    with transaction.atomic():
        updated = RateCounter.objects.filter(key=key, window_start=start).update(
            count=F("count") + 1
        )
        if not updated:
            try:
                with transaction.atomic():
                    RateCounter.objects.update_or_create(
                        key=key, defaults={"window_start": start, "count": 1}
                    )
            except IntegrityError:  # another process created it first
                RateCounter.objects.filter(key=key).update(count=F("count") + 1)
        count = RateCounter.objects.filter(key=key).values_list("count", flat=True).first()
    return (count or 0) <= limit


def exceeded(key: str, *, limit: int, window: dt.timedelta) -> bool:
    """Return True when ``key`` has already used up its window (without counting)."""
    start = _window_start(clock.now(), window)
    count = (
        RateCounter.objects.filter(key=key, window_start=start)
        .values_list("count", flat=True)
        .first()
    )
    return (count or 0) >= limit


def attempt(key: str, *, limit: int, window: dt.timedelta) -> None:
    """Count one attempt for ``key``; raise RateLimited, without counting, when the window's
    ``limit`` attempts are used up already."""
    if exceeded(key, limit=limit, window=window):
        raise RateLimited(key)
    hit(key, limit=limit, window=window)


def prune(*, older_than: dt.timedelta = dt.timedelta(days=2)) -> int:
    """Delete counters whose window is long over (housekeeping)."""
    deleted, _ = RateCounter.objects.filter(window_start__lt=clock.now() - older_than).delete()
    return deleted
