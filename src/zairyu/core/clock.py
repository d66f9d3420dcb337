"""The one clock. Every rule about days and deadlines reads "now" from here, in Asia/Tokyo.

Tests move time with ``clock.frozen(at)`` or ``clock.travel(delta)``; nothing else in the code
calls ``timezone.now()`` or ``date.today()`` for a business rule.
"""

import contextlib
import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

from django.utils import timezone

TOKYO = ZoneInfo("Asia/Tokyo")

_frozen: dt.datetime | None = None
_offset = dt.timedelta(0)


def now() -> dt.datetime:
    """Return the current time, aware, in Asia/Tokyo."""
    current = _frozen if _frozen is not None else timezone.now() + _offset
    return current.astimezone(TOKYO)


def today() -> dt.date:
    """Return today's date in Japan."""
    return now().date()


def tokyo_datetime(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    """Build an aware Asia/Tokyo datetime (a convenience for rules and tests)."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=TOKYO)


@contextlib.contextmanager
def frozen(at: dt.datetime) -> Iterator[None]:
    """Stop the clock at ``at`` (aware) for the duration of the block."""
    global _frozen
    if at.tzinfo is None:
        raise ValueError("clock.frozen needs an aware datetime")
    previous, _frozen = _frozen, at
    try:
        yield
    finally:
        _frozen = previous


@contextlib.contextmanager
def travel(delta: dt.timedelta) -> Iterator[None]:
    """Move the running clock by ``delta`` for the duration of the block."""
    global _offset, _frozen
    previous_offset, previous_frozen = _offset, _frozen
    if _frozen is not None:
        _frozen = _frozen + delta
    else:
        _offset = _offset + delta
    try:
        yield
    finally:
        _offset, _frozen = previous_offset, previous_frozen
