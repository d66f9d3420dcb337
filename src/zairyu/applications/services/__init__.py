"""Service A's use cases (A-3..A-17, BO-5): one function per use case, one module per group.

Every state change goes through ``lifecycle.transition`` (lock, ``TRANSITIONS`` check,
state-change row, audit event, optional mail — all in one transaction). Services raise Django
``ValidationError({field: [ValidationError(message, code=...)]})``; forms show them with
``zairyu.core.forms.add_service_errors``. Eligibility refusals come from ``rules`` and keep
their codes (``rules.refusals_as_error``); whether the filer may do something now is
``rules.actions``, asked by the pages and the services alike.

- ``drafts``: ``application_start`` (STEP1), ``draft_save`` (A-3, A-9), ``draft_purge``;
- ``steps`` / ``applicant``: checking a whole step, who the applicant is (A-2..A-5);
- ``documents``: ``document_add``, ``document_remove``, ``photo_set`` (A-6, A-7);
- ``submission``: ``application_submit`` (A-10);
- ``receipt_numbers``: ``receipt_number_assign`` (the task's body), ``receipt_sweep``;
- ``changes``: ``application_amend``, ``withdrawal_request``,
  ``receipt_method_change_by_filer`` (A-8, A-12);
- ``handover``: ``draft_handover`` (A-17);
- ``officer``: the back office's use cases (intake, decision, issuance, requests).

Audit actions: ``applications.application.<state>`` for every transition (``draft`` = started,
``submitted``, ``examining`` …); the other services name theirs in their docstrings
(``applications.application.saved``, ``.document_added``, ``.amended`` …).

Mails (templates in ``templates/mail/<lang>/``): ``application_submitted`` (provisional
number), ``application_receipt_number``, ``application_receipt_error``, ``application_amended``,
``application_withdrawal_requested``, ``application_receipt_method_changed``,
``application_handed_over``.

The numbers, fees, mails and the state machine have their own modules (``numbers``, ``fees``,
``mails``, ``lifecycle``); their names stay importable from here.
"""

from .. import rules, uploads
from ..content import (
    BOOLEAN_FIELDS,
    DATE_FIELDS,
    FIELD_LABELS,
    TEXT_MAX,
)
from ..content import clean_value as _clean_value
from ..fees import FeeBreakdown, FeeLine, fee_for_application
from ..lifecycle import APPLICATION, ApplicationStateError, transition
from ..mails import application_mail
from ..models import ApplicationState as S
from ..numbers import (
    PROVISIONAL_SERIES,
    NumberExhausted,
    next_provisional_number,
    next_receipt_number,
)
from ..rules.steps import (
    CARD_HOLDER_PROCEDURES,
    ORGANIZATION_FORM_PROCEDURES,
    ORGANIZATION_REFUSALS,
    ORGANIZATION_STATUSES,
    PHOTO_MIN_AGE,
    PHOTO_PROCEDURES,
    REPRESENTATIVE_CATEGORIES,
    STAFF_CATEGORIES,
    STEP_FIELDS,
    STEP_NAMES,
    STEPS,
    organization_form_required,
    organization_step_applies,
    photo_needed,
    steps_for,
)
from ..selectors import current_documents
from .base import _documents_snapshot, version_record
from .changes import application_amend, receipt_method_change_by_filer, withdrawal_request
from .documents import document_add, document_remove, photo_set
from .drafts import application_start, draft_purge, draft_save
from .handover import draft_handover, handover_refusal
from .receipt_numbers import MAX_RECEIPT_ATTEMPTS, receipt_number_assign, receipt_sweep
from .submission import application_submit

__all__ = [
    "APPLICATION",
    "BOOLEAN_FIELDS",
    "CARD_HOLDER_PROCEDURES",
    "DATE_FIELDS",
    "FIELD_LABELS",
    "MAX_RECEIPT_ATTEMPTS",
    "ORGANIZATION_FORM_PROCEDURES",
    "ORGANIZATION_REFUSALS",
    "ORGANIZATION_STATUSES",
    "PHOTO_MIN_AGE",
    "PHOTO_PROCEDURES",
    "PROVISIONAL_SERIES",
    "REPRESENTATIVE_CATEGORIES",
    "STAFF_CATEGORIES",
    "STEPS",
    "STEP_FIELDS",
    "STEP_NAMES",
    "TEXT_MAX",
    "ApplicationStateError",
    "FeeBreakdown",
    "FeeLine",
    "NumberExhausted",
    "S",
    "_clean_value",
    "_documents_snapshot",
    "application_amend",
    "application_mail",
    "application_start",
    "application_submit",
    "current_documents",
    "document_add",
    "document_remove",
    "draft_handover",
    "draft_purge",
    "draft_save",
    "fee_for_application",
    "handover_refusal",
    "next_provisional_number",
    "next_receipt_number",
    "organization_form_required",
    "organization_step_applies",
    "photo_needed",
    "photo_set",
    "receipt_method_change_by_filer",
    "receipt_number_assign",
    "receipt_sweep",
    "rules",
    "steps_for",
    "transition",
    "uploads",
    "version_record",
    "withdrawal_request",
]
