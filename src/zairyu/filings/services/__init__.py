"""Service N actions: submit (NF-1, NF-3, NF-4), register (NF-5, NF-6), withdraw and review
(BO-4). Each changes state only through ``transition`` and writes its audit event and mails in
the same transaction (ML-2).

Audit actions: ``filings.filing.submitted``, ``filings.filing.<state>`` for every later state
(registered, error, superseded, withdrawn, registering = retried), ``filings.filing.reviewed``.

Mails (templates in ``templates/mail/<lang>/``): ``filing_received`` at reception,
``filing_registered`` / ``filing_error`` / ``filing_superseded`` at the end of registration,
``filing_withdrawn``. A resident gets them for a notification an organization filed for them
(NF-4) as well as the organization.

The package, by use case (import from here; the modules are its parts):

- ``lifecycle``: the one ``transition`` (``models.FILING``) and what goes with every move —
  history row, audit event, mails, the registration task;
- ``checks``: the card face an organization typed (``CardFace``, ``RosterLine``), the items of
  the event (``_check_items``) and the refusals;
- ``submission``: ``filing_submit_resident`` / ``_proxy`` / ``_organization`` and the writing of
  new filings, one by one or in a ``FilingBatch``;
- ``registration``: ``filing_register`` (the worker) and ``filing_sweep``;
- ``officers``: ``filing_withdraw``, ``filing_retry``, ``filing_review`` (BO-4).
"""

from __future__ import annotations

from .. import rules
from .checks import (
    CARD_FIELDS,
    CardFace,
    RosterLine,
    _card_mismatch,
    _check_items,
    _refusal,
    _roster_line_ok,
    _status_refusal,
)
from .lifecycle import (
    _MAILS,
    FilingStateError,
    _queue_mails,
    _recipients,
    _record,
    has_source,
    transition,
)
from .officers import _require_officer_scope, filing_retry, filing_review, filing_withdraw
from .registration import (
    MAX_REGISTRATION_ATTEMPTS,
    _content_face,
    _ready,
    filing_register,
    filing_sweep,
    registration_problem,
)
from .submission import (
    ROSTER_MAX_LINES,
    FilingBatch,
    _create,
    _event_date,
    _face_snapshot,
    _insert,
    _organization,
    _organization_snapshot,
    _previous,
    _submit_roster,
    _with_source,
    filing_submit_organization,
    filing_submit_proxy,
    filing_submit_resident,
    previous_filings,
)

__all__ = [
    "CARD_FIELDS",
    "MAX_REGISTRATION_ATTEMPTS",
    "ROSTER_MAX_LINES",
    "CardFace",
    "FilingBatch",
    "FilingStateError",
    "RosterLine",
    "_MAILS",
    "_card_mismatch",
    "_check_items",
    "_content_face",
    "_create",
    "_event_date",
    "_face_snapshot",
    "_insert",
    "_organization",
    "_organization_snapshot",
    "_previous",
    "_queue_mails",
    "_ready",
    "_recipients",
    "_record",
    "_refusal",
    "_require_officer_scope",
    "_roster_line_ok",
    "_status_refusal",
    "_submit_roster",
    "_with_source",
    "filing_register",
    "filing_retry",
    "filing_review",
    "filing_submit_organization",
    "filing_submit_proxy",
    "filing_submit_resident",
    "filing_sweep",
    "filing_withdraw",
    "has_source",
    "previous_filings",
    "registration_problem",
    "rules",
    "transition",
]
