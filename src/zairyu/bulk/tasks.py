from celery import shared_task

from .services import bulk_process


@shared_task(name="zairyu.bulk.process", ignore_result=True, acks_late=True)
def bulk_process_task(job_id: int) -> bool:
    """Process bulk job ``job_id`` (idempotent: nothing happens if it is finished or another
    worker holds it; the sweeper re-enqueues jobs whose worker died)."""
    return bulk_process(job_id=job_id)
