from celery import shared_task

from .services import bulk_process


@shared_task(name="zairyu.bulk.process", ignore_result=True, acks_late=True)
def bulk_process_task(job_id: int) -> bool:
    """Process bulk job ``job_id`` (idempotent: nothing happens if it is finished or another
    worker holds it; the sweeper re-enqueues jobs whose worker died)."""
    return bulk_process(job_id=job_id)


@shared_task(name="zairyu.bulk.register_filings", ignore_result=True, acks_late=True)
def bulk_register_filings_task(filing_ids: list[int]) -> int:
    """Register the service N filings one batch of a bulk job made (one task per batch, not
    one per filing). Each registration is the filing service's own, idempotent and claimed
    with a lease; filings a dead worker leaves 登録中 are handed out by the filings sweeper."""
    from zairyu.filings.services import filing_register

    return sum(1 for pk in filing_ids if filing_register(filing_id=pk))
