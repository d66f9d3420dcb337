"""Staff of accepting organizations, public-interest corporations and registered support
organizations (SPEC ID-5, ID-10, ID-11; 002 Q1-3, Q3-1..Q3-14, Q9-1..Q9-6, Q10-1..Q10-4; 003).

The one import path of the staff services; they live in:

- ``staff_requests``: requests for use (利用申出, ID-5) prepared online or recorded from paper,
  their documents (PDF, ``document_check``), the decision that issues a personal auth ID, the
  30-day one-time link to set the first password (Q3-7) and the client organizations of
  public-interest and RSO staff (Q3-11..Q3-13);
- ``staff_reports``: validity and periodic reports (定期報告, ID-10) with the reminder two
  months before expiry (``staff_expiry_reminders``, a daily job registered on import), and
  resignation, deletion and change reports (ID-11).

Every state change is audited and mailed in its transaction; decided papers follow the
``STAFF_DECISION`` lifecycle (``models.STAFF_DECISION_TRANSITIONS``).
"""

from __future__ import annotations

from zairyu.core.days import months_before

from .staff_reports import (
    REMINDER_MONTHS_BEFORE,
    REPORT_AT_LEAST_BEFORE_MONTHS,
    change_report_decide,
    change_report_submit,
    deletion_request,
    extended_until,
    organization_users,
    periodic_report_decide,
    periodic_report_submit,
    report_due_by,
    resignation_report,
    staff_expiry_reminders,
)
from .staff_requests import (
    AUTH_ID_LENGTH,
    COMMISSIONED_CATEGORIES,
    DECLARATION_KEYS,
    DECLARATIONS,
    PASSWORD_LINK_LIFETIME,
    STAFF_CATEGORIES,
    STAFF_LINK,
    RequestData,
    document_check,
    link_invalid_message,
    link_user,
    password_link_url,
    required_documents,
    staff_client_add,
    staff_initial_password_set,
    staff_request_decide,
    staff_request_submit,
)

__all__ = [
    "AUTH_ID_LENGTH",
    "COMMISSIONED_CATEGORIES",
    "DECLARATIONS",
    "DECLARATION_KEYS",
    "PASSWORD_LINK_LIFETIME",
    "REMINDER_MONTHS_BEFORE",
    "REPORT_AT_LEAST_BEFORE_MONTHS",
    "STAFF_CATEGORIES",
    "STAFF_LINK",
    "RequestData",
    "change_report_decide",
    "change_report_submit",
    "deletion_request",
    "document_check",
    "extended_until",
    "link_invalid_message",
    "link_user",
    "months_before",
    "organization_users",
    "password_link_url",
    "periodic_report_decide",
    "periodic_report_submit",
    "report_due_by",
    "required_documents",
    "resignation_report",
    "staff_client_add",
    "staff_expiry_reminders",
    "staff_initial_password_set",
    "staff_request_decide",
    "staff_request_submit",
]
