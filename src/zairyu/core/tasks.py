from celery import shared_task

from .work import run_housekeeping, run_sweepers, wake_missed


@shared_task(name="zairyu.core.sweep", ignore_result=True)
def sweep(queue: str | None = None) -> dict[str, int]:
    """Re-enqueue rows that are due or whose worker died (runs from Celery beat, once per queue
    on that queue: the sweepers of ``queue``, or all)."""
    return run_sweepers(queue)


@shared_task(name="zairyu.core.housekeeping", ignore_result=True)
def housekeeping() -> dict[str, int]:
    """Delete expired sessions and prune the filesystem broker's processed messages (daily)."""
    return run_housekeeping()


@shared_task(name="zairyu.core.wake_missed", ignore_result=True)
def wake_missed_task() -> int:
    """Send again the wake-ups the broker refused (runs from Celery beat every few seconds)."""
    return wake_missed()
