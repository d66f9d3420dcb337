"""The decision (BO-5, A-13, A-14; 002 Q4-35, Q5-1, Q8-1): approval fixes the fee and moves the
application on by receipt method (an e-mailed COE is issued at once), or denial.

============================  ===============  =====================================================
procedure / receipt method    state            what happens next
============================  ===============  =====================================================
COE by e-mail                 完了 completed   the electronic COE (``coe``) is issued and mailed
any by post                   発行待ち          the mail lists what to send within 14 days
                              awaiting_issue   (``papers_due``); papers received → issued → 完了
card / certificate, counter   完了 completed   the mail lists what to bring (Q7-2); the officer
                                               records the hand-over at the counter (issuance)
============================  ===============  =====================================================
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from zairyu.accounts.models import User
from zairyu.audit.services import audit_record
from zairyu.cards import normalise
from zairyu.core import clock

from ... import rules
from ...content import set_step3_receipt_method
from ...fees import fee_for_application
from ...lifecycle import transition
from ...mails import application_mail
from ...models import (
    CARD_PROCEDURES,
    Application,
    ApplicationState,
    Decision,
    MainProcedure,
    ReceiptMethod,
)
from .base import _error, _require_text, _state_error

S = ApplicationState


def _clean_period(value: str, *, required: bool) -> str:
    try:
        period = normalise.period_of_stay(value or "")
    except ValidationError as exc:
        raise ValidationError({"period_granted": exc.error_list}) from exc
    if required and not period:
        raise _error(
            "period_granted",
            _("Period of stay granted is empty. Enter it, e.g. P1Y, P3Y or P6M."),
            "required",
        )
    return period


def _granted_stay(
    application: Application, period_granted: str, stay_until_granted: dt.date | None
) -> tuple[str, dt.date | None]:
    """The period granted (required for a COE and the card procedures) and, for the card
    procedures, its last day (required; today or later)."""
    code = application.procedure_id
    period = _clean_period(
        period_granted, required=code == MainProcedure.COE or code in CARD_PROCEDURES
    )
    if code not in CARD_PROCEDURES:
        return period, None
    if stay_until_granted is None:
        raise _error(
            "stay_until_granted",
            _("End of the period granted is empty. Enter the last day of the new period."),
            "required",
        )
    if stay_until_granted < clock.today():
        raise _error(
            "stay_until_granted",
            _("End of the period granted is in the past. Enter today or a later date."),
            "past",
        )
    return period, stay_until_granted


def _post_refusal_at_decision(application: Application, period: str) -> rules.Refusal | None:
    """002 Q5-1 (1), (3): re-checked at the decision with the period granted and today's date
    (3 months or less → passport stamp; 16th birthday within six months of the new card's
    issue → the card's validity must be updated): post is then not possible and the card is
    handed over at the counter; the mail says why."""
    code = application.procedure_id
    if application.receipt_method != ReceiptMethod.POST or code not in CARD_PROCEDURES:
        return None
    probe = Application(
        procedure_id=code,
        status=application.status,
        period_requested=application.period_requested,
        period_granted=period,
        applicant_card=application.applicant_card,
        kanji_name_requested=application.kanji_name_requested,
        applicant_birth_date=application.applicant_birth_date,
    )
    return rules.refuse_post_on(probe)


def _approved_to(application: Application, method: str, changes: dict, now) -> tuple[str, str]:
    """Where an approval goes and the mail it sends (the table above); adds to ``changes`` what
    goes with it (the e-COE's verification code, the papers' due date)."""
    if application.procedure_id == MainProcedure.COE and method == ReceiptMethod.EMAIL:
        from ...coe import new_verification_code

        changes |= {"coe_verification_code": new_verification_code(), "issued_at": now}
        return S.COMPLETED, "officer_coe_issued"
    if method == ReceiptMethod.POST:
        changes["papers_due"] = clock.today() + dt.timedelta(days=rules.PAPERS_DAYS)
        return S.AWAITING_ISSUE, "officer_approved_post"
    return S.COMPLETED, "officer_approved_counter"


def application_approve(
    *,
    officer: User,
    application: Application,
    period_granted: str = "",
    stay_until_granted: dt.date | None = None,
    note: str = "",
    request: HttpRequest | None = None,
) -> Application:
    """Approve (BO-5, A-13): examining → awaiting_issue (anything received by post), or
    completed (a COE by e-mail: the electronic COE is issued and mailed, A-14; a card or work
    certificate at the counter, 002 Q4-35).

    Period granted: required for a COE and the card procedures (ISO 8601, e.g. P1Y); the end of
    the period granted also for the card procedures (today or later). The fee is fixed here for
    the acceptance date and shown in the mail (REF-6, ``fee_amount``). Re-attachment closes. A
    pending withdrawal request is decided first (code ``withdrawal_requested``). Mails:
    ``officer_approved_post``, ``officer_approved_counter`` or ``officer_coe_issued``.
    """
    if application.state != S.EXAMINING:
        raise _state_error(application, _("Approval"))
    if application.withdrawal_requested_at:
        raise _error(
            "__all__",
            _(
                "The filer asked to withdraw this application. Record the withdrawal (or talk "
                "to the filer) before deciding."
            ),
            "withdrawal_requested",
        )
    period, stay_until_granted = _granted_stay(application, period_granted, stay_until_granted)
    fee = fee_for_application(application)
    method = application.receipt_method
    now = clock.now()
    changes = {
        "decision": Decision.APPROVED,
        "decided_by": officer,
        "decided_at": now,
        "period_granted": period,
        "stay_until_granted": stay_until_granted,
        "fee_amount": fee.total,
        "reattachment_open": False,
    }
    context = {"fee": fee, "note": note}
    post_refusal = _post_refusal_at_decision(application, period)
    if post_refusal is not None:
        method = ReceiptMethod.COUNTER
        changes["receipt_method"] = method
        context["post_refusal"] = post_refusal.code
    to, template = _approved_to(application, method, changes, now)
    with transaction.atomic():
        locked = transition(
            application, to=to, actor=officer, note=note, request=request, changes=changes
        )
        if post_refusal is not None:
            _set_step3_method(locked, method)
            audit_record(
                action="applications.application.receipt_method_changed",
                obj=locked,
                actor=officer,
                before={"receipt_method": ReceiptMethod.POST},
                after={"receipt_method": method, "reason": post_refusal.code},
                request=request,
            )
        _decision_mail(locked, template=template, context=context)
    return locked


def _set_step3_method(application: Application, method: str) -> None:
    """Keep STEP3's stored choice equal to the column (one source of truth for the pages)."""
    set_step3_receipt_method(application, method)
    application.save(update_fields=["content"])


def _decision_mail(application: Application, *, template: str, context: dict) -> None:
    address = rules.delivery_address(application)
    from ...coe import format_code, valid_until, verification_url

    # The period granted is rendered by the templates (``|period``) in the mail's language.
    extra = {
        "paper_codes": rules.paper_codes(application),
        "delivery": address,
        "fee_text": f"{application.fee_amount or 0:,}",
        "papers_office": rules.papers_office(),
    }
    if application.coe_verification_code:
        extra |= {
            "code": format_code(application.coe_verification_code),
            "verify_url": verification_url(),
            "valid_until": valid_until(application),
        }
    application_mail(
        application,
        template=template,
        context={**context, **extra},
        # The e-COE link works for the filer only (log-in); the applicant gets it forwarded.
        to_applicant=template != "officer_coe_issued",
    )


def application_deny(
    *, officer: User, application: Application, reason: str, request: HttpRequest | None = None
) -> Application:
    """Deny (不許可, BO-5): examining → denied with the reason, mailed (``officer_denied``)."""
    reason = _require_text("reason", reason, label=_("Reason for denial"))
    if application.state != S.EXAMINING:
        raise _state_error(application, _("Denial"))
    return transition(
        application,
        to=S.DENIED,
        actor=officer,
        request=request,
        note=reason[:500],
        changes={
            "decision": Decision.DENIED,
            "decided_by": officer,
            "denial_reason": reason,
            "reattachment_open": False,
        },
        mail="officer_denied",
        mail_context={"reason": reason},
    )
