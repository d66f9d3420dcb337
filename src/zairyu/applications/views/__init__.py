"""Pages of service A for filers (mounted at /applications/; A-3, A-5..A-12, A-16, A-17).

Thin: parse → call a service → render. Every step of A-3 is a normal GET/POST page whose URL
carries the application's id only (no personal data); each POST saves the draft
(``services.draft_save``) and redirects (POST/redirect/GET), so the back button, a reload or a
new sign-in after the 30-minute timeout always finds the draft where the user left it (A-9,
002 Q4-20, Q4-27). The confirmation page carries a fresh submit token; a re-sent form finds the
application already submitted with it and shows the same page (A-9, A-10).

Access (SEC-1): service A users only (403 for everyone else); an application another user may
not see answers the same 404 as a missing one (``selectors.filer_application_by_id``). Only the
filer changes an application; colleagues of the same organization see its drafts (A-17). What a
page offers, and whether a change is allowed now, is ``rules.actions`` (the services guard with
the same functions).

- ``base``: who may use the pages, the application a user may open or change, navigation;
- ``steps``: the list, STEP1, the steps of a draft, autosave, confirmation and submission;
- ``documents``: documents and the photo;
- ``detail``: the detail page, the receipt, amendment, withdrawal, receipt method, hand-over.

What the pages show (content rows, timeline, fee) is ``presenters``.
"""

from ..presenters import (
    STEP_NUMBERS,
    STEP_TITLES,
    content_sections,
    fee_rows,
    post_refusal,
    step1_rows,
    timeline,
)
from ..rules import photo_replacement_open
from .base import (
    CONFIRM,
    PAGE_SIZE,
    S,
    filer_required,
    is_filer,
    photo_needed,
    resume_step,
    resume_url,
    steps_for,
)
from .detail import (
    actions_for,
    amend,
    amend_step,
    detail,
    handover,
    handover_candidates,
    receipt_method,
    receipt_pdf,
    withdraw,
)
from .documents import document_add, document_download, document_remove, photo_file, photo_upload
from .steps import application_list, autosave, confirm, done, receipt_methods, start, step_page

__all__ = [
    "CONFIRM",
    "PAGE_SIZE",
    "STEP_NUMBERS",
    "STEP_TITLES",
    "S",
    "actions_for",
    "amend",
    "amend_step",
    "application_list",
    "autosave",
    "confirm",
    "content_sections",
    "detail",
    "document_add",
    "document_download",
    "document_remove",
    "done",
    "fee_rows",
    "filer_required",
    "handover",
    "handover_candidates",
    "is_filer",
    "photo_file",
    "photo_needed",
    "photo_replacement_open",
    "photo_upload",
    "post_refusal",
    "receipt_method",
    "receipt_methods",
    "receipt_pdf",
    "resume_step",
    "resume_url",
    "start",
    "step1_rows",
    "step_page",
    "steps_for",
    "timeline",
    "withdraw",
]
