"""The mails about an application (A-3, 002 Q4-30): to the filer and the applicant.

Templates are in ``templates/mail/<lang>/`` (``application_*`` for the filer's use cases,
``officer_*`` for the back office's); every mail is queued in the caller's transaction, so a
rolled-back use case sends nothing.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import translation

from zairyu.mail.services import mail_queue

from .models import Application, ApplicationState, ReceiptMethod


def application_mail(
    application: Application,
    *,
    template: str,
    context: dict | None = None,
    to_applicant: bool = True,
) -> int:
    """Queue mail ``template`` about ``application`` to the filer and (unless
    ``to_applicant`` is False) the applicant's notification address (A-3, 002 Q4-30); return
    how many were queued. Both in the filer's language. Call inside the caller's transaction.

    The template gets ``application``, ``role`` ("filer" / "applicant"), ``procedure_name``,
    ``state_label``, ``site_url`` and the caller's ``context``.
    """
    filer = application.filer
    language = filer.language or "ja"
    recipients = []
    if filer.email:
        recipients.append((filer.email, "filer"))
    applicant = application.applicant_email if to_applicant else ""
    if applicant and applicant.lower() != (filer.email or "").lower():
        recipients.append((applicant, "applicant"))
    for address, role in recipients:
        with translation.override(language):
            procedure = application.procedure
            full = {
                "application": application,
                "role": role,
                "procedure_name": procedure.name_ja if language == "ja" else procedure.name_en,
                "procedure_name_ja": procedure.name_ja,
                "state_label": str(ApplicationState(application.state).label),
                "site_url": settings.ZAIRYU_SITE_URL,
                **(context or {}),
            }
        mail_queue(
            template=template, to=address, language=language, context=full, related=application
        )
    return len(recipients)


def receipt_method_labels(application: Application, before: str, after: str) -> dict[str, str]:
    """The receipt methods before and after a change, in the filer's language (the mails
    ``application_receipt_method_changed`` and ``officer_receipt_method_changed``)."""
    with translation.override(application.filer.language or "ja"):
        return {
            "before_label": str(ReceiptMethod(before).label) if before else "",
            "after_label": str(ReceiptMethod(after).label),
        }
