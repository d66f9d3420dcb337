"""Service A background work: the receipt number (A-10)."""

from celery import shared_task

from .services import receipt_number_assign


@shared_task(name="zairyu.applications.receipt_number", ignore_result=True, acks_late=True)
def receipt_number_task(application_id: int) -> bool:
    """Assign the receipt number of ``application_id`` (idempotent: nothing happens when it has
    one, is no longer 申請完了 or another worker holds it; ``receipt_sweep`` re-enqueues
    applications whose message was lost or whose worker died)."""
    return receipt_number_assign(application_id=application_id)
