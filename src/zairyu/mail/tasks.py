from celery import shared_task

from .services import mail_send


@shared_task(name="zairyu.mail.send", ignore_result=True)
def send_mail_task(mail_id: int) -> bool:
    """Send outbox row ``mail_id`` (idempotent: does nothing if it is not due or already sent)."""
    return mail_send(mail_id=mail_id)
