"""Background work whose truth is a database row (DESIGN.md, "the broker only wakes workers").

A unit of work is a row with a state. The transaction that creates it also commits the row;
``enqueue_on_commit`` then asks the broker to wake a worker with the row's id. The worker
*claims* the row with one conditional UPDATE (so two workers never run the same row), does the
work, and moves the row to a final state. A claim carries a lease: if the worker dies (kill -9,
machine lost, broker message lost), the lease runs out and the periodic sweeper hands the row out
again. Work is therefore done at least once and, because each task re-reads the row's state and
finishes with a conditional update, its effects land once. The sweeper never wakes a row whose
wake-up is still queued (``wake_due``): a backlog is not lengthened by copies of what it holds.

A broker that refuses the wake-up (down, unreachable) does not fail the request whose rows
committed: the wake-up is logged, counted and kept (``MissedWakeUp``), and beat's
``zairyu.core.wake_missed`` sends it again within seconds of the broker's return
(docs/decisions/0007-embedded-background-work.md).
"""

import datetime as dt
import logging
from collections.abc import Callable

from django.conf import settings
from django.db import models, transaction

from . import clock
from .broker import DEFAULT

log = logging.getLogger(__name__)

_sweepers: dict[str, Callable[[], int]] = {}
_sweeper_queues: dict[str, str] = {}


def register_sweeper(name: str, sweeper: Callable[[], int], *, queue: str = DEFAULT) -> None:
    """Register a function that re-enqueues an app's due or abandoned rows; returns a count.

    ``queue`` is the queue its rows' tasks go to: beat sweeps each queue on that queue
    (``zairyu.celery``), so a backlog in one delays no other's recovery."""
    _sweepers[name] = sweeper
    _sweeper_queues[name] = queue


def run_sweepers(queue: str | None = None) -> dict[str, int]:
    """Run the registered sweepers (of ``queue``, or all); one failing does not stop the others."""
    counts: dict[str, int] = {}
    for name, sweeper in sorted(_sweepers.items()):
        if queue is not None and _sweeper_queues.get(name) != queue:
            continue
        try:
            counts[name] = sweeper()
        except Exception:
            log.exception("sweeper %s failed", name)
            counts[name] = -1
    return counts


def wake_due(
    rows: models.QuerySet,
    task,
    *,
    grace_seconds: float,
    since: str | None = None,
    order_by: tuple[str, ...] = ("pk",),
    limit: int = 1000,
) -> int:
    """A sweeper's wake-ups: publish ``task(pk)`` for the rows of ``rows`` (the sweeper's: not
    claimed, or claimed by a worker whose lease ran out) whose last wake-up is not waiting in
    the broker any more, record when (``woken_at``) and return how many were woken.

    A row's last wake-up is ``woken_at`` (set here) or, when later, its ``since`` field: the
    moment it entered its ready state, in the transaction whose commit published its first
    wake-up (``enqueue_on_commit``). That wake-up was taken when a worker claimed the row after
    it (``leased_until`` minus the lease is the claim): the worker died, the row is woken at
    once. Not taken, it is presumably still queued, behind other work, for ``grace_seconds``:
    waking the row again would only add a duplicate to that backlog (issue 17: 8,000 tasks for
    7,000 filings). After the grace its message counts as lost (a broker restarted empty) and
    the row is woken again.

    The wake-up is recorded before it is published, so that a worker quick enough to finish
    (or to fail and wait for a retry: ``woken_at`` emptied) before the sweeper moves on keeps
    what it wrote. Publishing stops at the first refusal (the broker is down): the rows not
    published are recorded as not woken, for the next sweep, and the error is raised.
    """
    now = clock.now()
    due = _wake_up_not_waiting(now - dt.timedelta(seconds=grace_seconds), since)
    ids = list(rows.filter(due).order_by(*order_by).values_list("pk", flat=True)[:limit])
    _mark_woken(rows.model, ids, now)
    for n, pk in enumerate(ids):
        try:
            task.delay(pk)
        except Exception:
            _mark_woken(rows.model, ids[n:], None)
            raise
    return len(ids)


def _wake_up_not_waiting(cutoff: dt.datetime, since: str | None) -> models.Q:
    """Rows whose last wake-up was taken by a claim, or was published before ``cutoff``."""
    lease = dt.timedelta(seconds=settings.ZAIRYU_WORK_LEASE_SECONDS)
    Q, F = models.Q, models.F
    old = Q(woken_at__isnull=True) | Q(woken_at__lte=cutoff)
    taken = Q(leased_until__isnull=False) & (
        Q(woken_at__isnull=True) | Q(leased_until__gte=F("woken_at") + lease)
    )
    if since is not None:
        old &= Q(**{f"{since}__lte": cutoff})
        taken &= Q(leased_until__gte=F(since) + lease)
    return old | taken


def _mark_woken(model: type[models.Model], ids: list[int], at: dt.datetime | None) -> None:
    for start in range(0, len(ids), 500):
        model._base_manager.filter(pk__in=ids[start : start + 500]).update(woken_at=at)


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


# Counted in /metrics (core.metrics): wake-ups the broker refused although their rows committed.
WAKE_FAILURES = "zairyu_wakeup_failures_total"


def enqueue_on_commit(task, *args) -> None:
    """Wake a worker for a row once the transaction that wrote it has committed.

    The rows are the work and they are saved, so a broker that is down must not turn the
    answer into an error (the user would file again): ``wake`` logs the failure, counts it and
    keeps the wake-up for beat to send again within seconds of the broker's return.
    """
    transaction.on_commit(lambda: wake(task, *args))


def wake(task, *args) -> bool:
    """Publish ``task(*args)``; True if the broker took it, False if it was kept for later.
    Celery retries a refused publish briefly first (``PUBLISH_RETRY`` in ``zairyu.celery``)."""
    if task.app.conf.task_always_eager:  # tests: run in-process, errors as they are
        task.delay(*args)
        return True
    try:
        task.delay(*args)
    except Exception as exc:
        _keep_missed(task.name, list(args), exc)
        return False
    return True


def _describe(args: list) -> str:
    """Row ids only, and few of them: logs carry no personal data and stay short."""
    ids = [a for a in args if isinstance(a, int)] or [
        n for a in args if isinstance(a, list) for n in a if isinstance(n, int)
    ]
    shown = ", ".join(str(n) for n in ids[:5])
    return shown + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")


def _keep_missed(name: str, args: list, exc: Exception) -> None:
    from .metrics import count
    from .models import MissedWakeUp

    log.warning(
        "broker refused the wake-up %s(%s): %s: %s; its rows are saved, it is sent again when "
        "the broker answers",
        name,
        _describe(args),
        type(exc).__name__,
        str(exc)[:200],
    )
    try:
        MissedWakeUp.objects.create(task=name, args=args, failed_at=clock.now())
        count(WAKE_FAILURES)
    except Exception:  # the database too: the sweepers find the rows after their lease
        log.exception("could not keep the wake-up %s for later", name)


def wake_missed(*, limit: int = 500) -> int:
    """Send again the wake-ups the broker refused (beat, every ``ZAIRYU_WAKE_RETRY_SECONDS``);
    return how many went out. Stops at the first refusal: the broker is still down."""
    from celery import current_app

    from .models import MissedWakeUp

    woken = 0
    for missed in MissedWakeUp.objects.order_by("pk")[:limit]:
        task = current_app.tasks.get(missed.task)
        if task is not None:
            try:
                task.delay(*missed.args)
            except Exception as exc:
                log.warning("broker still refuses wake-ups: %s", type(exc).__name__)
                break
            woken += 1
        else:
            log.error("no task %s for a kept wake-up; dropped", missed.task)
        # After the publish: a crash between the two sends it twice, which claims make harmless.
        MissedWakeUp.objects.filter(pk=missed.pk).delete()
    return woken
