"""The filer's requests the office records (A-8, A-12; 002 Q4-32, Q4-33, Q5-1, Q5-7, Q8-4,
Q8-5): a withdrawal, a change of the receipt method, withdrawing only an add-on, and opening the
replacement of a wrong person's photo."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from zairyu.accounts.models import User
from zairyu.audit.services import audit_record

from ... import rules
from ...fees import fee_for_application
from ...lifecycle import transition
from ...mails import application_mail, receipt_method_labels
from ...models import (
    OTHER_ACTIVITY_PROCEDURE,
    PENDING,
    RECEIPT_METHOD_CHANGEABLE,
    REENTRY_PROCEDURE,
    WITHDRAWABLE,
    Application,
    ApplicationState,
    ReceiptMethod,
    Reentry,
    WithdrawalAddOn,
)
from ..base import version_record
from .base import _error, _locked, _require_text, _save, _state_error, _sync
from .decision import _decision_mail, _set_step3_method

S = ApplicationState


def withdrawal_record(
    *,
    officer: User,
    application: Application,
    note: str,
    request: HttpRequest | None = None,
) -> Application:
    """Withdraw on the filer's request (A-12; 002 Q4-32: online request or by contacting the
    office): → withdrawn while pending a decision. ``note`` says how the request came. Mail
    ``officer_withdrawn``."""
    note = _require_text("note", note, label=_("How the request was made"))
    if application.state not in WITHDRAWABLE:
        raise _state_error(application, _("Withdrawal"))
    return transition(
        application,
        to=S.WITHDRAWN,
        actor=officer,
        note=note[:500],
        request=request,
        changes={"reattachment_open": False},
        mail="officer_withdrawn",
        mail_context={"reason": application.withdrawal_reason},
    )


def _refuse_office_method(locked: Application, method: str, *, late_counter: bool) -> None:
    if locked.state not in RECEIPT_METHOD_CHANGEABLE and not late_counter:
        raise _state_error(locked, _("Changing the receipt method"))
    if method == locked.receipt_method:
        raise _error("method", _("This is already the receipt method. Choose another one."), "same")
    if late_counter:
        return
    refusal = rules.refuse_office_receipt_method(
        method, locked.procedure, **rules.application_receipt_facts(locked)
    )
    if refusal is not None:
        raise ValidationError({"method": [ValidationError(refusal.message, code=refusal.code)]})


def receipt_method_change_by_officer(
    *,
    officer: User,
    application: Application,
    method: str,
    note: str = "",
    request: HttpRequest | None = None,
) -> Application:
    """Change the receipt method on the filer's request (A-8, 002 Q5-1, Q8-4, Q8-5): while 申請完了
    or 審査中; the method must be one the office may set (``rules.office_receipt_methods``:
    those offered to the filer, e.g. no post for a passport stamp, and for a COE also the
    counter, Q7-1). A COE's method changes only this way (the filer asks the office).

    While 発行待ち a card can still be moved from post to the counter when post is no longer
    possible on the day (Q5-1 (3): the 16th birthday within six months of the new card's
    issue; ``rules.refuse_post_on``): the application becomes 完了 (approved for counter
    receipt, Q4-35) and the filer gets the counter mail (``officer_approved_counter``).
    Audit ``applications.application.receipt_method_changed``; mail
    ``officer_receipt_method_changed`` (Q12-1)."""
    with transaction.atomic():
        locked = _locked(application)
        late_counter = method == ReceiptMethod.COUNTER and rules.post_no_longer_possible(locked)
        _refuse_office_method(locked, method, late_counter=late_counter)
        before = locked.receipt_method
        if late_counter:
            reason = rules.refuse_post_on(locked)
            locked = transition(
                locked,
                to=S.COMPLETED,
                actor=officer,
                note=note,
                request=request,
                changes={"receipt_method": method, "papers_due": None},
            )
        else:
            _save(locked, receipt_method=method)
        _set_step3_method(locked, method)
        audit_record(
            action="applications.application.receipt_method_changed",
            obj=locked,
            actor=officer,
            before={"receipt_method": before},
            after={"receipt_method": method, "note": note},
            request=request,
        )
        application_mail(
            locked,
            template="officer_receipt_method_changed",
            context=receipt_method_labels(locked, before, method),
        )
        if late_counter:
            _decision_mail(
                locked,
                template="officer_approved_counter",
                context={
                    "fee": fee_for_application(locked),
                    "note": note,
                    "post_refusal": reason.code,
                },
            )
    _sync(application, locked)
    return locked


# --- 002 Q4-33: withdrawing only an add-on; Q5-7: replacing a wrong photo ---------------------


def _add_on_cleared(locked: Application, add_on: str) -> tuple[dict, str]:
    """The fields withdrawing ``add_on`` changes (STEP1's stored content follows; a pending
    request for exactly this add-on is settled) and the reference procedure withdrawn."""
    fields: dict = {}
    content = dict(locked.content or {})
    step1 = dict(content.get("step1") or {})
    if add_on == WithdrawalAddOn.REENTRY:
        fields["reentry"] = Reentry.NONE
        step1["reentry"] = ""
        procedure_code = REENTRY_PROCEDURE.get(locked.reentry, "")
    else:
        fields["other_activity"] = False
        step1["other_activity"] = False
        procedure_code = OTHER_ACTIVITY_PROCEDURE
    content["step1"] = step1
    fields["content"] = content
    if locked.withdrawal_requested_at and locked.withdrawal_add_on == add_on:
        fields |= {"withdrawal_requested_at": None, "withdrawal_add_on": ""}
    return fields, procedure_code


def _next_version(locked: Application, fields: dict) -> None:
    """A-12: the content changed, so it is a new version (the earlier kept); changes the filer
    prepared for the next amendment stay pending after it."""
    before_version = locked.version
    fields["version"] = before_version + 1
    pending = locked.documents.all()
    pending.filter(version_added=before_version + 1).update(version_added=before_version + 2)
    pending.filter(version_removed=before_version + 1).update(version_removed=before_version + 2)


def add_on_withdrawal_record(
    *,
    officer: User,
    application: Application,
    add_on: str,
    note: str,
    request: HttpRequest | None = None,
) -> Application:
    """Withdraw only the re-entry permit or the other-activity permission filed together with a
    change, extension or acquisition (002 Q4-33: the filer contacts the office, or requests it
    online with ``services.withdrawal_request(add_on=...)``). The main application goes on in
    its state; ``reentry`` / ``other_activity`` are cleared (so the fee fixed at the decision
    no longer includes the re-entry fee), STEP1's stored content follows, and a pending request
    for exactly this add-on is settled. While pending a decision (``WITHDRAWABLE``). Field
    ``add_on``: ``invalid_choice`` / ``add_on_not_applied``; ``note`` (how the request came)
    required. Audit ``applications.application.add_on_withdrawn``; mail
    ``officer_add_on_withdrawn`` to the filer and the applicant."""
    note = _require_text("note", note, label=_("How the request was made"))
    if add_on not in (WithdrawalAddOn.REENTRY, WithdrawalAddOn.OTHER_ACTIVITY):
        raise _error(
            "add_on",
            _("Choose the re-entry permit or the permission for other activity."),
            "invalid_choice",
        )
    with transaction.atomic():
        locked = _locked(application)
        if locked.state not in WITHDRAWABLE:
            raise _state_error(locked, _("Withdrawal"))
        applied = locked.reentry if add_on == WithdrawalAddOn.REENTRY else locked.other_activity
        if not applied:
            raise _error(
                "add_on",
                _("The application does not include it (any more). Choose what it includes."),
                "add_on_not_applied",
            )
        before = {"reentry": locked.reentry, "other_activity": locked.other_activity}
        fields, procedure_code = _add_on_cleared(locked, add_on)
        _next_version(locked, fields)
        _save(locked, **fields)
        with translation.override(locked.filer.language or "ja"):
            label = str(WithdrawalAddOn(add_on).label)
        version_record(locked, actor=officer, note=f"{label} (002 Q4-33): {note}")
        audit_record(
            action="applications.application.add_on_withdrawn",
            obj=locked,
            actor=officer,
            before=before,
            after={
                "reentry": locked.reentry,
                "other_activity": locked.other_activity,
                "withdrawn": procedure_code,
                "note": note,
            },
            request=request,
        )
        application_mail(
            locked,
            template="officer_add_on_withdrawn",
            context={"add_on": add_on, "note": note},
        )
    _sync(application, locked)
    return locked


def photo_replacement_allow(
    *, officer: User, application: Application, note: str = "", request: HttpRequest | None = None
) -> Application:
    """Let the filer attach the right face photo (002 Q5-7: a wrong person's photo was sent; the
    filer contacted the office). While pending (申請完了, 審査中, 発行待ち, receipt error) and
    only where a photo is needed; the filer replaces it once with ``services.photo_set`` (the
    earlier file is kept). Audit ``applications.application.photo_replacement_opened``; mail
    ``officer_photo_replacement`` to the filer."""
    with transaction.atomic():
        locked = _locked(application)
        if locked.state not in PENDING:
            raise _state_error(locked, _("Opening the photo replacement"))
        if not rules.photo_needed(locked):
            raise _error("__all__", _("This application needs no photo."), "photo_not_needed")
        if locked.photo_replacement_open:
            raise _error("__all__", _("The photo replacement is already open."), "already_open")
        _save(locked, photo_replacement_open=True)
        audit_record(
            action="applications.application.photo_replacement_opened",
            obj=locked,
            actor=officer,
            after={"note": note},
            request=request,
        )
        application_mail(
            locked,
            template="officer_photo_replacement",
            context={"note": note},
            to_applicant=False,
        )
    _sync(application, locked)
    return locked
