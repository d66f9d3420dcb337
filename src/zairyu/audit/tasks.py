from celery import shared_task

from .services import audit_seal


@shared_task(name="zairyu.audit.seal", ignore_result=True)
def seal() -> int:
    """Seal the audit events written since the last run (runs from Celery beat)."""
    total = 0
    while sealed := audit_seal():
        total += sealed
    return total
