"""Intake (BO-5, A-6; 002 Q4-3, Q4-5): fixing a receipt-number error, opening the examination,
asking for more documents (re-attachment) and closing re-attachment."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from zairyu.accounts.models import User
from zairyu.audit.services import audit_record
from zairyu.core import clock
from zairyu.core.work import enqueue_on_commit

from ...lifecycle import transition
from ...mails import application_mail
from ...models import Application, ApplicationState
from .base import _error, _locked, _require_text, _save, _state_error, _sync

S = ApplicationState


def receipt_error_fix(
    *,
    officer: User,
    application: Application,
    note: str,
    bureau=None,
    request: HttpRequest | None = None,
) -> Application:
    """Fix a receipt-number error (エラー(申請受付番号取得エラー), BO-5): receipt_error →
    submitted; the assignment runs again (the receipt task after commit, or the sweeper, which
    hands out submitted applications without a number and without a lease). ``bureau`` sets the
    office with jurisdiction when that was the cause. Audit
    ``applications.application.submitted`` (with the note) and ``.receipt_error_fixed``."""
    note = _require_text("note", note, label=_("What was fixed"))
    if application.state != S.RECEIPT_ERROR:
        raise _state_error(application, _("Fixing a receipt-number error"))
    changes = {"receipt_error_code": "", "leased_until": None, "attempts": 0}
    if bureau is not None:
        changes["bureau"] = bureau
    with transaction.atomic():
        before_code = application.receipt_error_code
        locked = transition(
            application, to=S.SUBMITTED, actor=officer, note=note, request=request, changes=changes
        )
        audit_record(
            action="applications.application.receipt_error_fixed",
            obj=locked,
            actor=officer,
            before={"receipt_error_code": before_code},
            after={"bureau": locked.bureau_id, "note": note},
            request=request,
        )
        _rerun_receipt_assignment(locked.pk)
    return locked


def _rerun_receipt_assignment(application_id: int) -> None:
    """The receipt task again after commit (``receipt_sweep`` would hand it out within
    ``ZAIRYU_SWEEP_SECONDS`` anyway)."""
    from ...tasks import receipt_number_task

    enqueue_on_commit(receipt_number_task, application_id)


def examination_open(
    *, officer: User, application: Application, request: HttpRequest | None = None
) -> Application:
    """Open the examination (審査中, BO-5): submitted → examining, the officer as examiner. From
    now on the filer can no longer amend (A-12). Needs the receipt number (A-10). Mail
    ``officer_examination_opened``."""
    if application.state != S.SUBMITTED:
        raise _state_error(application, _("Opening the examination"))
    if not application.receipt_number:
        raise _error(
            "__all__",
            _(
                "The application has no receipt number yet. Wait for it (it is assigned within "
                "a minute) or fix the receipt-number error first."
            ),
            "no_receipt_number",
        )
    return transition(
        application,
        to=S.EXAMINING,
        actor=officer,
        request=request,
        changes={"examiner": officer},
        mail="officer_examination_opened",
    )


def documents_request(
    *, officer: User, application: Application, text: str, request: HttpRequest | None = None
) -> Application:
    """Ask for additional documents (A-6, 002 Q4-3, Q4-5): opens re-attachment so the filer can
    add PDFs online (``services.document_add`` with ``requested_by_office``) and mails what is
    asked (``officer_documents_requested``). While 申請完了 or 審査中. Audit
    ``applications.application.documents_requested``."""
    text = _require_text("text", text, label=_("Documents requested"))
    with transaction.atomic():
        locked = _locked(application)
        if locked.state not in (S.SUBMITTED, S.EXAMINING):
            raise _state_error(locked, _("Requesting documents"))
        now = clock.now()
        _save(locked, reattachment_open=True, reattachment_opened_at=now, documents_requested=text)
        audit_record(
            action="applications.application.documents_requested",
            obj=locked,
            actor=officer,
            after={"documents_requested": text},
            request=request,
        )
        application_mail(
            locked,
            template="officer_documents_requested",
            context={"documents_requested": text},
            to_applicant=False,
        )
    _sync(application, locked)
    return locked


def reattachment_close(
    *, officer: User, application: Application, request: HttpRequest | None = None
) -> Application:
    """Close re-attachment once the documents arrived (the decision closes it too). Audit
    ``applications.application.reattachment_closed``; no mail."""
    with transaction.atomic():
        locked = _locked(application)
        if not locked.reattachment_open:
            raise _error(
                "__all__", _("Re-attachment is not open for this application."), "not_open"
            )
        _save(locked, reattachment_open=False)
        audit_record(
            action="applications.application.reattachment_closed",
            obj=locked,
            actor=officer,
            request=request,
        )
    _sync(application, locked)
    return locked
