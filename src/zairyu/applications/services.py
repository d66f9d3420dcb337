"""Service A actions (A-3..A-17, BO-5): one function per use case.

Every state change goes through ``transition`` (lock, ``TRANSITIONS`` check, state-change row,
audit event, optional mail — all in one transaction). Services raise Django
``ValidationError({field: [ValidationError(message, code=...)]})``; forms show them with
``zairyu.portal.forms.add_service_errors``. Eligibility refusals come from ``rules`` and keep
their codes (``rules.refusals_as_error``).

Audit actions: ``applications.application.<state>`` for every transition (``draft`` = started,
``submitted``, ``examining`` …); the other services name theirs in their docstrings
(``applications.application.saved``, ``.document_added``, ``.amended`` …).

Implemented here (phase 1): ``transition``, ``application_mail``, ``next_receipt_number``,
``next_provisional_number``, ``fee_for_application``. The other functions are the public API
the next helpers implement: signature and contract are fixed, the body raises
``NotImplementedError``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import translation

from zairyu.accounts.models import User
from zairyu.audit.services import audit_record
from zairyu.core import clock
from zairyu.mail.services import mail_queue
from zairyu.reference.models import Bureau
from zairyu.reference.selectors import fee_for

from .models import (
    NEW,
    OTHER_ACTIVITY_PROCEDURE,
    REENTRY_PROCEDURE,
    TRANSITIONS,
    Application,
    ApplicationState,
    ApplicationStateChange,
    ProvisionalCounter,
    ReceiptCounter,
)

S = ApplicationState


class ApplicationStateError(Exception):
    """A transition the state table does not allow (a programming error, not a user's)."""


class NumberExhausted(Exception):
    """An office's series for a procedure letter ran past 8 digits."""


# --- the state machine ----------------------------------------------------------------------

# Timestamps ``transition`` sets when an application enters a state (if not set by ``changes``).
_ENTER_TIMESTAMPS: dict[str, tuple[str, ...]] = {
    S.SUBMITTED: ("submitted_at",),
    S.EXAMINING: ("examination_opened_at",),
    S.AWAITING_ISSUE: ("decided_at",),
    S.DENIED: ("decided_at",),
    S.WITHDRAWN: ("withdrawn_at",),
    S.COMPLETED: ("completed_at",),
}


def transition(
    application: Application,
    *,
    to: str,
    actor: User | None = None,
    note: str = "",
    request: HttpRequest | None = None,
    changes: dict[str, Any] | None = None,
    mail: str | None = None,
    mail_context: dict | None = None,
) -> Application:
    """Move ``application`` to state ``to`` if ``TRANSITIONS`` allows it; return the locked,
    updated row.

    In one transaction: locks the row (``select_for_update``), checks the table (raises
    ``ApplicationStateError`` otherwise), applies ``changes`` (other fields that change with the
    state, e.g. ``{"decision": "approved", "period_granted": "P1Y"}``), sets the entry
    timestamp of the new state (``submitted_at`` + ``filed_on`` on first submission,
    ``examination_opened_at``, ``decided_at``, ``completed_at``, ``withdrawn_at``) unless
    ``changes`` sets it, appends an ``ApplicationStateChange`` (with ``note``), writes the audit
    event ``applications.application.<to>`` and, when ``mail`` names a template, queues it to
    the filer and the applicant (``application_mail``). Nothing else assigns ``state``.

    A new application (``application.pk`` None, state ``NEW``) is saved first and moves from
    "" to ``to`` (``draft`` or ``bulk_error``).
    """
    with transaction.atomic():
        now = clock.now()
        if application.pk is None:
            from_state = NEW
            if to not in TRANSITIONS[NEW]:
                raise ApplicationStateError(f"new application → {to} is not allowed")
            application.state = to
            application.state_changed_at = now
            application.created_at = application.created_at or now
            application.updated_at = now
            application.last_saved_at = application.last_saved_at or now
            for name, value in (changes or {}).items():
                setattr(application, name, value)
            application.save()
            locked = application
        else:
            # of=("self",): lock the application only, never the reference rows joined to it.
            locked = (
                Application.objects.select_for_update(of=("self",))
                .select_related("procedure", "filer", "bureau")
                .get(pk=application.pk)
            )
            from_state = locked.state
            if to not in TRANSITIONS.get(from_state, frozenset()):
                raise ApplicationStateError(
                    f"application {locked.pk}: {from_state} → {to} is not allowed"
                )
            changes = dict(changes or {})
            for name in _ENTER_TIMESTAMPS.get(to, ()):
                if name not in changes and not (name == "submitted_at" and locked.submitted_at):
                    changes[name] = now
            if to == S.SUBMITTED and locked.filed_on is None and "filed_on" not in changes:
                changes["filed_on"] = now.date()  # 002 Q4-14: the day it was filed online
            if to == S.COMPLETED and from_state == S.EXAMINING and "decided_at" not in changes:
                changes["decided_at"] = now
            locked.state = to
            locked.state_changed_at = now
            locked.updated_at = now
            fields = {"state", "state_changed_at", "updated_at"}
            for name, value in changes.items():
                setattr(locked, name, value)
                fields.add(name)
            locked.save(update_fields=sorted(fields))
        ApplicationStateChange.objects.create(
            application=locked,
            at=now,
            from_state=from_state,
            to_state=to,
            actor=actor,
            actor_repr=str(actor)[:150] if actor is not None else "",
            note=note[:500],
        )
        after: dict[str, Any] = {"state": to}
        if note:
            after["note"] = note
        audit_record(
            action=f"applications.application.{to}",
            obj=locked,
            actor=actor,
            before={"state": from_state} if from_state else None,
            after=after,
            request=request,
        )
        if mail:
            application_mail(locked, template=mail, context={"note": note, **(mail_context or {})})
    application.__dict__.update({k: v for k, v in locked.__dict__.items() if not k.startswith("_")})
    return locked


def application_mail(
    application: Application,
    *,
    template: str,
    context: dict | None = None,
    to_applicant: bool = True,
) -> int:
    """Queue mail ``template`` about ``application`` to the filer and (unless
    ``to_applicant`` is False) the applicant's notification address (A-3, 002 Q4-30); return
    how many were queued. Both in the filer's language. Call inside the caller's transaction.

    The template gets ``application``, ``role`` ("filer" / "applicant"), ``procedure_name``,
    ``state_label``, ``site_url`` and the caller's ``context``.
    """
    filer = application.filer
    language = filer.language or "ja"
    recipients = []
    if filer.email:
        recipients.append((filer.email, "filer"))
    applicant = application.applicant_email if to_applicant else ""
    if applicant and applicant.lower() != (filer.email or "").lower():
        recipients.append((applicant, "applicant"))
    for address, role in recipients:
        with translation.override(language):
            procedure = application.procedure
            full = {
                "application": application,
                "role": role,
                "procedure_name": procedure.name_ja if language == "ja" else procedure.name_en,
                "procedure_name_ja": procedure.name_ja,
                "state_label": str(ApplicationState(application.state).label),
                "site_url": settings.ZAIRYU_SITE_URL,
                **(context or {}),
            }
        mail_queue(
            template=template, to=address, language=language, context=full, related=application
        )
    return len(recipients)


# --- numbers (A-10, REFERENCE.md §5) ---------------------------------------------------------


def next_receipt_number(*, bureau: Bureau, letter: str) -> str:
    """Take the next receipt number of ``bureau`` for procedure ``letter`` (e.g. 東オン更00000001).

    Must run inside the caller's transaction (the one that stores the number): the counter row
    is locked with ``select_for_update`` until it commits, so concurrent assignments of one
    office and letter queue up, and a number once taken is never handed out again (a rolled
    back transaction rolls back the counter too, so no gap is visible and nothing is reused).
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_receipt_number must run inside a transaction")
    ReceiptCounter.objects.get_or_create(bureau=bureau, letter=letter)
    counter = ReceiptCounter.objects.select_for_update().get(bureau=bureau, letter=letter)
    counter.last += 1
    if counter.last > 99_999_999:
        raise NumberExhausted(f"{bureau.pk} {letter}: 8 digits exhausted")
    counter.save(update_fields=["last"])
    return f"{bureau.receipt_prefix}{letter}{counter.last:08d}"


PROVISIONAL_SERIES = "provisional"


def next_provisional_number() -> str:
    """Take the next provisional receipt number (申請受付仮番号, e.g. 仮0000000001): one series
    for the whole system, separate from the receipt numbers; same locking as above."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_provisional_number must run inside a transaction")
    ProvisionalCounter.objects.get_or_create(series=PROVISIONAL_SERIES)
    counter = ProvisionalCounter.objects.select_for_update().get(series=PROVISIONAL_SERIES)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"仮{counter.last:010d}"


# --- fees (REFERENCE.md §7, A-13) ------------------------------------------------------------


@dataclass(frozen=True)
class FeeLine:
    procedure: str  # reference.Procedure code
    amount: int


@dataclass(frozen=True)
class FeeBreakdown:
    """The revenue-stamp fee of an application: one line per procedure (0 = free)."""

    lines: tuple[FeeLine, ...]
    on: dt.date
    online: bool

    @property
    def total(self) -> int:
        return sum(line.amount for line in self.lines)


def fee_for_application(
    application: Application, *, on: dt.date | None = None, online: bool = True
) -> FeeBreakdown:
    """Return the fee of ``application`` accepted on ``on`` (REFERENCE.md §7, REF-6).

    ``on`` is the acceptance date: by default the filing date (``filed_on``), else today. Lines:
    the main procedure (change / extension 5,500 online from 2025-04-01, 4,000 before; work
    certificate 1,600 / 1,200; COE and acquisition free), then the re-entry permit (single
    3,500 / multiple 6,500 online) and other-activity permission (free) when applied for with
    it. ``online=False`` gives the counter amounts (an application moved to the counter).
    Amounts are reference data (``reference.Fee``), never constants here.
    """
    on = on or application.filed_on or clock.today()
    codes = [application.procedure_id]
    if application.reentry:
        codes.append(REENTRY_PROCEDURE[application.reentry])
    if application.other_activity:
        codes.append(OTHER_ACTIVITY_PROCEDURE)
    lines = tuple(FeeLine(code, fee_for(code, on=on, online=online)) for code in codes)
    return FeeBreakdown(lines=lines, on=on, online=online)


# --- the public API the next helpers implement ------------------------------------------------


def application_start(
    *,
    user: User,
    procedure: str,
    status: str | None = None,
    period_requested: str = "",
    reentry: str = "",
    other_activity: bool = False,
    client_ip: str | None = None,
    request: HttpRequest | None = None,
) -> Application:
    """STEP1 (A-3): create a draft for ``procedure`` (a ``MainProcedure`` value) and ``status``.

    Checks: ``rules.refuse_client_address``, ``refuse_procedure``, ``refuse_category``,
    ``refuse_status`` (the rules that need the applicant run again at STEP2). Writes: the
    ``Application`` via ``transition(new, to=draft)`` (state-change row, audit
    ``applications.application.draft``), ``content["step1"]``, ``steps_done=["step1"]``,
    ``organization`` = the staff user's organization (``rules.staff_organization``). No mail.
    Raises ValidationError with the refusal codes (``procedure_not_online``,
    ``add_on_not_allowed``, ``category_not_permitted``, ``coe_recipient``,
    ``status_not_online``, ``status_not_current``, ``address_not_allowed``).
    """
    raise NotImplementedError


def draft_save(
    *,
    user: User,
    application: Application,
    step: str,
    data: dict[str, Any],
    partial: bool = True,
    client_ip: str | None = None,
    request: HttpRequest | None = None,
) -> Application:
    """Save one step's input of a draft (A-3, A-9): ``step`` is ``step1``, ``personal1``,
    ``personal2``, ``organization`` or ``step3``.

    ``partial=True`` (autosave while typing): stores ``data`` under ``content[step]`` after
    per-field format checks only (FMT validators), never refuses for missing fields.
    ``partial=False`` ("next"): validates the whole step (required fields; ``personal2`` runs
    ``cards.selectors.card_match(..., allow_expired=True)`` → code ``card_mismatch`` without
    saying which field, 002 Q4-21; then ``rules.check_eligibility`` with the card →
    ``applicant_person``, ``applicant_card``, ``applicant_key``, ``applicant_name``,
    ``applicant_birth_date``, ``bureau`` from the card's prefecture or, for a COE, the
    organization's bureau) and adds ``step`` to ``steps_done``. Only the filer of a draft
    (``state == draft``); otherwise ValidationError code ``not_draft``. Sets ``last_saved_at``
    and ``updated_at``; audit ``applications.application.saved`` (step name only, no content).
    A-5: a second draft for the same applicant and procedure → code ``open_draft_exists``
    (the unique index ``applications_one_draft_per_applicant`` backs it under a race).
    """
    raise NotImplementedError


def document_add(
    *,
    user: User,
    application: Application,
    kind: str,
    upload,
    over_limit_declaration: bool = False,
    request: HttpRequest | None = None,
):
    """Attach one PDF (A-6): ``upload`` is checked by ``applications.uploads`` (real PDF, not
    encrypted, no restrictions, no JavaScript or embedded files, per-file and total limits) and
    refused at once with the reason (field ``file``, codes from uploads). Allowed on a draft,
    and on a submitted application while amendable (A-12, becomes part of the next version) or
    while ``reattachment_open`` (Q4-3, Q4-5: ``requested_by_office=True``). Writes an
    ``ApplicationDocument`` (sha256, size, original name, ``version_added``) and audit
    ``applications.application.document_added``. Returns the document.
    """
    raise NotImplementedError


def document_remove(
    *, user: User, application: Application, document_id: int, request: HttpRequest | None = None
) -> None:
    """Remove an attached PDF: deleted (row and file) on a draft; on a submitted application
    (amendment, A-12) only marked ``version_removed`` so earlier versions keep it. Audit
    ``applications.application.document_removed``. Code ``not_amendable`` when neither applies.
    """
    raise NotImplementedError


def photo_set(
    *, user: User, application: Application, upload, request: HttpRequest | None = None
) -> Application:
    """Attach the face photo (A-7): JPEG ≤ 50 KB, decoded safely (``uploads``), only for
    procedures that need one (code ``photo_not_needed`` otherwise). Replaces an earlier photo of
    a draft; stores ``photo``, ``photo_sha256``, ``photo_size``. Audit
    ``applications.application.photo_set``.
    """
    raise NotImplementedError


def application_submit(
    *,
    user: User,
    application: Application,
    token: uuid.UUID,
    client_ip: str | None = None,
    request: HttpRequest | None = None,
) -> Application:
    """Submit a draft from the confirmation page (A-10): "submit to the agency".

    Idempotent (A-9): ``token`` comes from the confirmation page; an application already
    submitted with the same ``submit_token`` is returned unchanged (a re-sent form or the back
    button never files twice). Checks again: every step done, ``applicant_email`` (code
    ``applicant_email_required``, Q4-30), documents and the photo where needed, receipt method
    offered (``rules.refuse_receipt_method``), ``rules.check_eligibility`` on the day (A-4 with
    ``clock.today()``). Writes, in one transaction: ``provisional_number``
    (``next_provisional_number``), ``version=1`` and the first ``ApplicationVersion``,
    ``transition(to=submitted, mail="application_submitted")`` (mailed at once to the user and
    the applicant with the provisional number, Q4-15), ``filed_on`` = today (Q4-14); after
    commit enqueues the receipt-number task (``core.work.enqueue_on_commit``).
    """
    raise NotImplementedError


def receipt_number_assign(*, application_id: int) -> bool:
    """Assign the receipt number (A-10, REFERENCE.md §5); the background task's body.

    Claims the application with a lease (``core.work.claim``, ready = submitted, no receipt
    number, lease empty or expired; ``attempts`` + 1 is the fencing token). Office: ``bureau``
    (the applicant's address; COE: the organization's); letter: the main procedure's
    ``receipt_kanji``. In one transaction: ``next_receipt_number``, ``receipt_number``,
    ``receipt_assigned_at``, lease cleared, audit ``applications.application.receipt_assigned``
    and mail ``application_receipt_number`` to the user and the applicant. A failure (no office,
    exhausted series, too many attempts) → ``transition(to=receipt_error)`` with
    ``receipt_error_code``. Returns True when it moved the application; idempotent.
    """
    raise NotImplementedError


def receipt_sweep(*, limit: int = 1000) -> int:
    """Re-enqueue submitted applications without a receipt number whose lease ran out or whose
    task never ran (registered with ``core.work.register_sweeper``: every
    ``ZAIRYU_SWEEP_SECONDS``, so the number follows within a minute). Uses the partial index
    ``applications_receipt_idx``. Returns how many were enqueued."""
    raise NotImplementedError


def application_amend(
    *,
    user: User,
    application: Application,
    content: dict[str, Any],
    note: str = "",
    request: HttpRequest | None = None,
) -> Application:
    """Amend a submitted application before examination (A-12 [B]).

    Only while ``state`` is in ``AMENDABLE`` (申請完了) and ``examination_opened_at`` is empty
    (code ``not_amendable`` otherwise). Validates like ``draft_save(partial=False)`` for the
    changed steps (the applicant cannot change: code ``applicant_changed``), increments
    ``version`` and writes a new ``ApplicationVersion`` (content, current documents, receipt
    method); earlier versions stay. Audit ``applications.application.amended`` (version numbers
    only); mail ``application_amended`` to the filer. State unchanged.
    """
    raise NotImplementedError


def withdrawal_request(
    *, user: User, application: Application, reason: str, request: HttpRequest | None = None
) -> Application:
    """Request withdrawal (A-12 [B]): the officer decides (``transition(to=withdrawn)``).

    Only in ``WITHDRAWABLE`` states and once (code ``withdrawal_already_requested``); reason
    required (JIS text). Sets ``withdrawal_requested_at``, ``withdrawal_reason``; audit
    ``applications.application.withdrawal_requested``; mail ``application_withdrawal_requested``
    to the filer. State unchanged until the officer acts.
    """
    raise NotImplementedError


def receipt_method_change(
    *,
    user: User,
    application: Application,
    method: str,
    actor: User | None = None,
    request: HttpRequest | None = None,
) -> Application:
    """Change the receipt method (A-8, 002 Q5-1): cards and work certificates only, while
    ``RECEIPT_METHOD_CHANGEABLE`` (申請完了 / 審査中); a COE's method is fixed once filed (Q8-4,
    Q8-5: code ``coe_method_fixed``). ``method`` must be offered (``rules.refuse_receipt_method``
    with ``rules.application_receipt_facts``). Audit
    ``applications.application.receipt_method_changed`` (before/after); mail
    ``application_receipt_method_changed``. ``actor`` is the officer when BO-5 changes it.
    """
    raise NotImplementedError


def draft_handover(
    *,
    user: User,
    application: Application,
    to_user: User,
    note: str = "",
    request: HttpRequest | None = None,
) -> Application:
    """Hand a draft to another user (A-17 [B]): a user of the same organization, or from a
    staff member to a lawyer the organization uses. Only drafts (code ``not_draft``); the new
    filer must be allowed to file it (``rules.check_eligibility`` with ``user=to_user``; codes as
    there). Sets ``filer``; writes ``ApplicationHandover`` and audit
    ``applications.application.handed_over``; mails ``application_handed_over`` to ``to_user``.
    """
    raise NotImplementedError


def draft_purge(*, now: dt.datetime | None = None) -> int:
    """Delete drafts nobody saved for ``ZAIRYU_DRAFT_PURGE_DAYS`` (A-9): rows, documents, photo
    files (after commit). Daily (``core.work.register_housekeeper``); uses
    ``applications_draft_idx``. Audit ``applications.application.purged`` per draft (id only).
    Returns the number deleted."""
    raise NotImplementedError
