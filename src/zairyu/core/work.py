"""Background work whose truth is a database row (DESIGN.md, "the broker only wakes workers").

A unit of work is a row with a state. The transaction that creates it also commits the row;
``enqueue_on_commit`` then asks the broker to wake a worker with the row's id. The worker
*claims* the row with one conditional UPDATE (so two workers never run the same row), does the
work, and moves the row to a final state. A claim carries a lease: if the worker dies (kill -9,
machine lost, broker message lost), the lease runs out and the periodic sweeper hands the row out
again. Work is therefore done at least once and, because each task re-reads the row's state and
finishes with a conditional update, its effects land once.
"""

import datetime as dt
import logging
from collections.abc import Callable

from django.conf import settings
from django.db import models, transaction

from . import clock

log = logging.getLogger(__name__)

_sweepers: dict[str, Callable[[], int]] = {}


def register_sweeper(name: str, sweeper: Callable[[], int]) -> None:
    """Register a function that re-enqueues an app's due or abandoned rows; returns a count."""
    _sweepers[name] = sweeper


def run_sweepers() -> dict[str, int]:
    """Run every registered sweeper; one failing does not stop the others."""
    counts: dict[str, int] = {}
    for name, sweeper in sorted(_sweepers.items()):
        try:
            counts[name] = sweeper()
        except Exception:
            log.exception("sweeper %s failed", name)
            counts[name] = -1
    return counts


_housekeepers: dict[str, Callable[[], int]] = {}


def register_housekeeper(name: str, job: Callable[[], int]) -> None:
    """Register a daily clean-up job of an app (e.g. expired unfinished registrations)."""
    _housekeepers[name] = job


def run_housekeeping(*, keep_processed_days: int = 1) -> dict[str, int]:
    """Delete expired sessions; prune the filesystem broker; run the apps' daily jobs."""
    import time

    from django.contrib.sessions.models import Session

    from .ratelimit import prune

    sessions, _ = Session.objects.filter(expire_date__lt=clock.now()).delete()
    prune()
    pruned = 0
    processed = settings.CELERY_BROKER_FOLDER / "processed"
    if settings.CELERY_BROKER_URL.startswith("filesystem://") and processed.is_dir():
        cutoff = time.time() - keep_processed_days * 86400
        for path in processed.iterdir():
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
                pruned += 1
    counts = {"sessions": sessions, "broker_messages": pruned}
    for name, job in sorted(_housekeepers.items()):
        try:
            counts[name] = job()
        except Exception:
            log.exception("housekeeping job %s failed", name)
            counts[name] = -1
    return counts


def lease_until() -> dt.datetime:
    """Return when a claim taken now expires."""
    return clock.now() + dt.timedelta(seconds=settings.ZAIRYU_WORK_LEASE_SECONDS)


def claim(
    queryset: models.QuerySet,
    *,
    pk: int,
    ready: models.Q,
    claimed: dict,
) -> bool:
    """Atomically move row ``pk`` from a ready state to ``claimed`` fields; True if we got it.

    ``ready`` must match both rows waiting for work and rows whose lease has run out. The single
    UPDATE ... WHERE is the lock: of two workers racing, exactly one sees rowcount 1.
    """
    return queryset.filter(ready, pk=pk).update(**claimed) == 1


def enqueue_on_commit(task, *args) -> None:
    """Wake a worker for a row once the transaction that wrote it has committed."""
    transaction.on_commit(lambda: task.delay(*args))
