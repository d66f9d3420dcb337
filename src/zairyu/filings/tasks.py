from celery import shared_task

from .services import filing_register


@shared_task(name="zairyu.filings.register", ignore_result=True, acks_late=True)
def filing_register_task(filing_id: int) -> bool:
    """Register filing ``filing_id`` (idempotent: nothing happens if it is not 登録中 or another
    worker holds it; the sweeper re-enqueues filings whose worker died)."""
    return filing_register(filing_id=filing_id)
