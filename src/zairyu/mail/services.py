"""Queue, send and sweep mails.

``mail_queue`` only writes a row in the caller's transaction; a worker sends it after commit.
So a change that rolls back sends nothing, and a mail server outage loses nothing: the row
stays queued and the sweeper retries it with exponential backoff.
"""

import datetime as dt
import logging
import uuid

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F, Q
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.utils import translation

from zairyu.core import clock
from zairyu.core.work import claim, enqueue_on_commit, lease_until, wake_due

from .models import MAIL, Mail, MailAttempt

log = logging.getLogger(__name__)

FALLBACK_LANGUAGE = "en"


def _template(language: str, name: str, part: str):
    for lang in (language, FALLBACK_LANGUAGE):
        try:
            return get_template(f"mail/{lang}/{name}.{part}.txt", using="mail")
        except TemplateDoesNotExist:
            continue
    raise TemplateDoesNotExist(f"mail/{{{language},{FALLBACK_LANGUAGE}}}/{name}.{part}.txt")


def mail_render(*, template: str, language: str, context: dict) -> tuple[str, str]:
    """Render a mail's subject and body in ``language`` (falling back to English)."""
    full_context = {"site_url": settings.ZAIRYU_SITE_URL, **context}
    with translation.override(language):
        subject = _template(language, template, "subject").render(full_context)
        body = _template(language, template, "body").render(full_context)
    return " ".join(subject.split()), body.strip() + "\n"


def mail_queue(
    *,
    template: str,
    to: str,
    language: str,
    context: dict | None = None,
    related=None,
    send_at: dt.datetime | None = None,
) -> Mail:
    """Record a mail in the caller's transaction; a worker sends it once that commits.

    ``send_at`` holds the mail back until then (e.g. ID-2's next-business-day completion mail);
    the sweeper sends it when it is due.
    """
    subject, body = mail_render(template=template, language=language, context=context or {})
    now = clock.now()
    wake_now = send_at is None or send_at <= now
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(">")
    mail = Mail.objects.create(
        created_at=now,
        to_address=to,
        language=language,
        template=template,
        subject=subject,
        body=body,
        message_id=f"<{uuid.uuid4().hex}@{domain}>",
        related_type=related._meta.label_lower if related is not None else "",
        related_id=str(related.pk) if related is not None else "",
        next_attempt_at=send_at or now,
        # Woken after the commit (below); a mail held until ``send_at`` is woken by the sweeper.
        woken_at=now if wake_now else None,
    )
    from .tasks import send_mail_task

    if wake_now:
        enqueue_on_commit(send_mail_task, mail.pk)
    return mail


def _ready(now: dt.datetime) -> Q:
    return Q(state=Mail.State.QUEUED, next_attempt_at__lte=now) | Q(
        state=Mail.State.SENDING, leased_until__lt=now
    )


def retry_delay(attempts: int) -> dt.timedelta:
    """Exponential backoff after ``attempts`` failed tries, capped."""
    seconds = settings.MAIL_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    return dt.timedelta(seconds=min(seconds, settings.MAIL_RETRY_MAX_SECONDS))


def mail_send(*, mail_id: int) -> bool:
    """Send one queued mail if it is due and nobody else holds it; True when it went out."""
    now = clock.now()
    claimed = claim(
        Mail.objects,
        pk=mail_id,
        ready=_ready(now),
        claimed={
            "state": Mail.State.SENDING,
            "leased_until": lease_until(),
            "attempts": F("attempts") + 1,
        },
    )
    if not claimed:
        return False  # sent already, not yet due, or another worker has it
    # ``attempts`` as claimed is our fencing token: a worker that was presumed dead and wakes up
    # later cannot overwrite the outcome of the worker that took the mail over from it.
    mail = Mail.objects.get(pk=mail_id)
    message = EmailMessage(
        subject=mail.subject,
        body=mail.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[mail.to_address],
        headers={"Message-ID": mail.message_id, "Auto-Submitted": "auto-generated"},
    )
    try:
        message.send(fail_silently=False)
    except Exception as exc:  # any transport failure: keep the mail and retry later
        _record_failure(mail, exc)
        return False
    with transaction.atomic():
        MAIL.move(
            Mail.objects.filter(pk=mail.pk, attempts=mail.attempts),
            from_state=Mail.State.SENDING,
            to=Mail.State.SENT,
            sent_at=clock.now(),
            leased_until=None,
            last_error="",
        )
        MailAttempt.objects.create(mail=mail, at=clock.now(), succeeded=True)
    return True


def _record_failure(mail: Mail, exc: Exception) -> None:
    error = f"{type(exc).__name__}: {exc}"[:2000]
    log.warning("mail %s attempt %s failed: %s", mail.pk, mail.attempts, error)
    now = clock.now()
    final = mail.attempts >= settings.MAIL_MAX_ATTEMPTS
    with transaction.atomic():
        MAIL.move(
            Mail.objects.filter(pk=mail.pk, attempts=mail.attempts),
            from_state=Mail.State.SENDING,
            to=Mail.State.FAILED if final else Mail.State.QUEUED,
            next_attempt_at=now + retry_delay(mail.attempts),
            leased_until=None,
            woken_at=None,  # nothing published for the retry: the sweeper wakes it when due
            last_error=error,
        )
        MailAttempt.objects.create(mail=mail, at=now, succeeded=False, error=error)


def mail_sweep(*, limit: int = 1000) -> int:
    """Wake mails that are due (retries, held mails) or whose worker died, unless woken in the
    last ``ZAIRYU_WAKE_GRACE_SECONDS`` (still queued: ``core.work.wake_due``); return how
    many."""
    from .tasks import send_mail_task

    return wake_due(
        Mail.objects.filter(_ready(clock.now())),
        send_mail_task,
        grace_seconds=settings.ZAIRYU_WAKE_GRACE_SECONDS,
        order_by=("id",),
        limit=limit,
    )


def mail_requeue(*, mail: Mail, actor, request=None) -> bool:
    """Put a failed mail back in the queue (an operator fixed the cause); audited."""
    from zairyu.audit.services import audit_record

    from .tasks import send_mail_task

    with transaction.atomic():
        moved = MAIL.move(
            Mail.objects.filter(pk=mail.pk),
            from_state=Mail.State.FAILED,
            to=Mail.State.QUEUED,
            next_attempt_at=clock.now(),
            attempts=0,
            last_error="",
            woken_at=clock.now(),  # woken after the commit (below)
        )
        if moved:
            audit_record(
                action="mail.requeued",
                actor=actor,
                obj=mail,
                before={"state": Mail.State.FAILED},
                after={"state": Mail.State.QUEUED},
                request=request,
            )
            enqueue_on_commit(send_mail_task, mail.pk)
    return bool(moved)
