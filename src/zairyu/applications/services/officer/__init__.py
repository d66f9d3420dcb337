"""The back office's actions on service A applications (BO-5, A-6, A-11..A-14; 002 Q4-3, Q4-5,
Q4-32, Q4-33, Q4-35, Q5-1, Q5-5, Q5-7, Q6-1..Q6-10, Q7-2, Q8-1..Q8-5): one function per use case.

Every state change goes through ``lifecycle.transition`` (lock, ``TRANSITIONS`` check,
state-change row, audit ``applications.application.<state>``, mail — one transaction). The
actions that change no state (documents requested, papers received, receipt method changed,
counter hand-over, COE revoked) lock the row themselves and write their audit event and mail in
the same transaction. Who may act on which application is ``zairyu.backoffice.access`` (the
office with jurisdiction, ``Application.bureau``); which actions the state allows is
``rules.officer_actions``; these services check the state and the input and say by field what
is wrong (``ValidationError({field: ...}, code=...)``, shown by ``add_service_errors``).

- ``intake``: receipt-number errors, opening the examination, re-attachment;
- ``decision``: approval (the fee fixed, the e-COE issued) and denial;
- ``issuance``: the papers received and the issuance (the new card in the registry);
- ``requests``: what the filer asks the office: withdrawal, receipt method, an add-on only,
  the photo replacement.

Audit actions besides the transitions: ``applications.application.receipt_error_fixed``,
``.documents_requested``, ``.reattachment_closed``, ``.papers_received``, ``.issued``,
``.receipt_method_changed``, ``.add_on_withdrawn``, ``.photo_replacement_opened``,
``.coe_revoked`` (``coe``).
"""

from .base import TEXT_MAX
from .decision import application_approve, application_deny
from .intake import documents_request, examination_open, reattachment_close, receipt_error_fix
from .issuance import issuance_record, papers_received
from .requests import (
    add_on_withdrawal_record,
    photo_replacement_allow,
    receipt_method_change_by_officer,
    withdrawal_record,
)

__all__ = [
    "TEXT_MAX",
    "add_on_withdrawal_record",
    "application_approve",
    "application_deny",
    "documents_request",
    "examination_open",
    "issuance_record",
    "papers_received",
    "photo_replacement_allow",
    "reattachment_close",
    "receipt_error_fix",
    "receipt_method_change_by_officer",
    "withdrawal_record",
]
