"""What a filer or an officer may do now with an application: the one place that says it.

The pages ask these to show a button or a form only when it can succeed; the services ask the
same functions to guard what they do (the ``refuse_*`` functions return the ``Refusal`` the
service raises: its code and message). States are the named groups of ``models`` (``AMENDABLE``,
``WITHDRAWABLE``, ``RECEIPT_METHOD_CHANGEABLE``, ``PENDING``).

The filer (A-6..A-8, A-12, A-17): only the filer changes an application; a draft is edited and
handed over; a submitted application is amended until an officer opens the examination
(A-12), documents are attached while amendable or while the office has opened re-attachment
(002 Q4-3, Q4-5), a wrong person's photo is replaced once the office opened it (Q5-7),
withdrawal is requested once while pending a decision, and the receipt method of a card or a
work certificate changes while 申請完了 or 審査中 (Q5-1; a COE's is fixed, Q8-4, Q8-5).

The officer (BO-5, A-13, A-14): ``officer_actions`` says which of the back office's forms the
application's state allows.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from zairyu.accounts.models import User

from ..models import (
    AMENDABLE,
    PENDING,
    RECEIPT_METHOD_CHANGEABLE,
    WITHDRAWABLE,
    Application,
    ApplicationState,
    Decision,
    MainProcedure,
    ReceiptMethod,
)
from .base import Refusal
from .papers import gives_card
from .receipt import refuse_post_on
from .steps import photo_needed

S = ApplicationState


# --- the filer ---------------------------------------------------------------------------------


def is_own(application: Application, user: User) -> bool:
    """Only the filer changes an application (colleagues may see an organization's drafts)."""
    return application.filer_id == user.pk


def may_edit_draft(application: Application, user: User) -> bool:
    """The filer edits (saves, submits, hands over) an unsubmitted draft (A-3, A-9, A-17)."""
    return is_own(application, user) and application.state == S.DRAFT


def amendable(application: Application) -> bool:
    """A-12: submitted (申請完了) and no officer has opened the examination yet."""
    return application.state in AMENDABLE and application.examination_opened_at is None


def refuse_amendment(application: Application, user: User) -> Refusal | None:
    """A-12 [B]: only the filer amends, and only while ``amendable``."""
    if is_own(application, user) and amendable(application):
        return None
    return Refusal(
        "not_amendable",
        _(
            "This application can no longer be amended online: an officer has opened "
            "the examination. Contact the office that received it."
        ),
    )


def document_mode(application: Application, user: User) -> str | None:
    """How the filer may attach a document now (A-6, A-12; 002 Q4-3, Q4-5): "draft", "reattach"
    (the office opened re-attachment; the file counts as requested by the office), "amend"
    (part of the next version), or None (nobody else, and not in any other state)."""
    if not is_own(application, user):
        return None
    if application.state == S.DRAFT:
        return "draft"
    if application.reattachment_open and application.state in PENDING:
        return "reattach"
    if amendable(application):
        return "amend"
    return None


def photo_replacement_open(application: Application) -> bool:
    """002 Q5-7: the office let the filer replace a wrong person's photo (once)."""
    return (
        application.photo_replacement_open
        and application.state in PENDING
        and photo_needed(application)
    )


def may_replace_photo(application: Application, user: User) -> bool:
    """002 Q5-7: the filer of a submitted application whose photo replacement is open."""
    return (
        is_own(application, user)
        and application.state != S.DRAFT
        and photo_replacement_open(application)
    )


def refuse_withdrawal_request(application: Application, user: User) -> Refusal | None:
    """A-12 [B]: the filer asks once, while the application is pending a decision."""
    if not is_own(application, user) or application.state not in WITHDRAWABLE:
        return Refusal(
            "not_withdrawable",
            _("An application that is %(state)s cannot be withdrawn.")
            % {"state": ApplicationState(application.state).label},
        )
    if application.withdrawal_requested_at is not None:
        return Refusal(
            "withdrawal_already_requested",
            _("Withdrawal has already been requested; the office decides and tells you by e-mail."),
        )
    return None


def refuse_receipt_method_change(application: Application, user: User) -> Refusal | None:
    """A-8 (002 Q5-1): the filer changes how a card or certificate is received while 申請完了 or
    審査中; a COE's method is fixed once filed (Q8-4, Q8-5: the office changes it on request)."""
    if not is_own(application, user):
        return Refusal("not_changeable", _("Only the filer can change the receipt method."))
    if application.procedure_id == MainProcedure.COE:
        return Refusal(
            "coe_method_fixed",
            _(
                "The receipt method of a Certificate of Eligibility cannot be changed once "
                "the application is filed. Contact the office that "
                "received the application."
            ),
            field="receipt_method",
        )
    if application.state not in RECEIPT_METHOD_CHANGEABLE:
        return Refusal(
            "not_changeable",
            _(
                "The receipt method can be changed only while the application is submitted "
                "or under examination."
            ),
            field="receipt_method",
        )
    return None


def filer_actions(application: Application, user: User) -> dict[str, bool]:
    """What the filer's page of ``application`` offers ``user`` now (A-11, A-12, A-16, A-17)."""
    return {
        "own": is_own(application, user),
        "edit": may_edit_draft(application, user),
        "handover": may_edit_draft(application, user),
        "amend": refuse_amendment(application, user) is None,
        "reattach": is_own(application, user) and application.reattachment_open,
        "withdraw": refuse_withdrawal_request(application, user) is None,
        "receipt_method": refuse_receipt_method_change(application, user) is None,
        "receipt": bool(application.provisional_number),
        "photo_replace": may_replace_photo(application, user),
    }


# --- the officer -------------------------------------------------------------------------------


def post_no_longer_possible(application: Application) -> bool:
    """002 Q5-1 (3): a card approved for post whose issue is pending can no longer go by post
    on the day (the 16th birthday within six months of the new card's issue): the office
    moves it to the counter."""
    return (
        application.state == S.AWAITING_ISSUE
        and application.receipt_method == ReceiptMethod.POST
        and not application.issued_at
        and gives_card(application)
        and refuse_post_on(application) is not None
    )


def issuance_open(application: Application) -> bool:
    """A-13: the issuance is still to record: papers received for post, or approved for the
    counter (002 Q4-35) and not handed over yet."""
    if application.issued_at:
        return False
    if application.state == S.AWAITING_ISSUE:
        return bool(application.papers_received_at)
    return (
        application.state == S.COMPLETED
        and application.decision == Decision.APPROVED
        and application.receipt_method == ReceiptMethod.COUNTER
    )


def officer_actions(application: Application) -> set[str]:  # noqa: C901 - a debt (docs/architecture.md)
    """The back office's actions the application's state allows (the page shows only these
    forms; BO-5)."""
    state = application.state
    offered: set[str] = set()
    if state == S.RECEIPT_ERROR:
        offered.add("fix_receipt")
    if state == S.SUBMITTED and application.receipt_number:
        offered.add("examine")
    if state in (S.SUBMITTED, S.EXAMINING):
        offered.add("request_documents")
    if application.reattachment_open:
        offered.add("close_reattachment")
    if state == S.EXAMINING:
        offered |= {"deny"} | (set() if application.withdrawal_requested_at else {"approve"})
    if state == S.AWAITING_ISSUE and not application.papers_received_at:
        offered.add("papers")
    if issuance_open(application):
        offered.add("issue")
    if state in WITHDRAWABLE:
        offered.add("withdraw")
    if state in RECEIPT_METHOD_CHANGEABLE or post_no_longer_possible(application):
        offered.add("receipt_method")  # 002 Q5-1 (3): post no longer possible at issuance
    if state in WITHDRAWABLE and application.has_add_ons:
        offered.add("withdraw_add_on")  # 002 Q4-33
    if state in PENDING and not application.photo_replacement_open and photo_needed(application):
        offered.add("photo_replacement")  # 002 Q5-7
    if application.coe_verification_code and not application.coe_revoked_at:
        offered.add("coe_revoke")
    return offered
