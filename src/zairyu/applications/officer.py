"""The back office's actions on service A applications, by their old address.

The use cases live in ``services.officer`` (intake, decision, issuance, requests); what the
state allows in ``rules.actions`` (``officer_actions``); the facts after the decision (card or
stamp, delivery address, papers) in ``rules.papers`` and, as text, ``presenters``. This module
keeps every name importable from ``zairyu.applications.officer``.
"""

from .models import ApplicationState as S
from .presenters import required_papers
from .rules import (
    DESIGNATION_STATUSES,
    PAPERS_DAYS,
    PAPERS_OFFICE_DEFAULT,
    DeliveryAddress,
    delivery_address,
    gives_card,
    is_card_procedure,
    needs_designation,
    paper_codes,
    papers_office,
)
from .rules import officer_actions as actions_offered
from .services.officer import (
    TEXT_MAX,
    add_on_withdrawal_record,
    application_approve,
    application_deny,
    documents_request,
    examination_open,
    issuance_record,
    papers_received,
    photo_replacement_allow,
    reattachment_close,
    receipt_error_fix,
    receipt_method_change_by_officer,
    withdrawal_record,
)

# The back office's pages call it by this name (``backoffice.applications_views``).

__all__ = [
    "DESIGNATION_STATUSES",
    "PAPERS_DAYS",
    "PAPERS_OFFICE_DEFAULT",
    "TEXT_MAX",
    "DeliveryAddress",
    "S",
    "actions_offered",
    "add_on_withdrawal_record",
    "application_approve",
    "application_deny",
    "delivery_address",
    "documents_request",
    "examination_open",
    "gives_card",
    "is_card_procedure",
    "issuance_record",
    "needs_designation",
    "paper_codes",
    "papers_office",
    "papers_received",
    "photo_replacement_allow",
    "reattachment_close",
    "receipt_error_fix",
    "receipt_method_change_by_officer",
    "required_papers",
    "withdrawal_record",
]
