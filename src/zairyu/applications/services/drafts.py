"""Drafts (A-3, A-5, A-9): starting one at STEP1, saving a step (autosave while typing, or
"next" with the whole step checked) and purging the drafts nobody saved for a long time.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from zairyu.accounts.models import Category, User
from zairyu.audit.services import audit_record
from zairyu.core import clock
from zairyu.reference.models import Status

from .. import rules
from ..content import clean_fields
from ..lifecycle import transition
from ..models import Application, ApplicationState, MainProcedure
from .base import (
    _delete_files_after_commit,
    _lock_own_draft,
    _refusal,
    _required,
    _save_draft,
    _sync,
)
from .steps import STEP_COLUMNS, _validate_step

S = ApplicationState


def _start_refusals(user: User, procedure: str, status: Status | None) -> tuple[list, str]:
    """STEP1's rules that need no applicant yet, and the A-5 key of a foreign national whose
    account knows their registry person (002 Q4-8: "open it from your list")."""
    found = [
        rules.refuse_category(user, procedure),
        rules.refuse_status(procedure, status=status),
    ]
    key = ""
    if user.category == Category.FOREIGN_NATIONAL and user.person_id:
        key = rules.applicant_key(person=user.person_id)
        found.append(rules.refuse_open_draft(applicant_key=key, procedure=procedure, user=user))
    return [r for r in found if r is not None], key


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
    ``refuse_status`` (the rules that need the applicant run again at STEP2); a foreign
    national whose account knows their registry person is also checked for A-5 at once (002
    Q4-8: "open it from your list"). ``status`` is required except for a work certificate
    (code ``required``); an unknown status or period: ``invalid_choice`` / ``period_invalid``.
    Writes: the ``Application`` via ``transition(new, to=draft)`` (state-change row, audit
    ``applications.application.draft``), ``content["step1"]``, ``steps_done=["step1"]``,
    ``organization`` = the organization staff user's organization (``rules.staff_organization``).
    No mail. Raises ValidationError with the refusal codes (``procedure_not_online``,
    ``add_on_not_allowed``, ``category_not_permitted``, ``coe_recipient``,
    ``status_not_online``, ``status_not_current``, ``address_not_allowed``,
    ``open_draft_exists``).
    """
    refusals = [
        r
        for r in (
            rules.refuse_client_address(client_ip),
            rules.refuse_procedure(procedure, reentry=reentry, other_activity=other_activity),
        )
        if r is not None
    ]
    if refusals:
        raise rules.refusals_as_error(refusals)
    data = {
        "procedure": procedure,
        "status": status or "",
        "period_requested": period_requested or "",
        "reentry": reentry or "",
        "other_activity": bool(other_activity),
    }
    stored, errors = clean_fields("step1", data)
    if procedure != MainProcedure.WORK_CERTIFICATE and not stored.get("status") and not errors:
        errors["status"] = [_required("status")]
    if errors:
        raise ValidationError(errors)
    status_row = Status.objects.filter(pk=stored["status"]).first() if stored["status"] else None
    refusals, key = _start_refusals(user, procedure, status_row)
    if refusals:
        raise rules.refusals_as_error(refusals)
    organization = (
        rules.staff_organization(user) if user.category == Category.ORGANIZATION_STAFF else None
    )
    application = Application(
        procedure_id=procedure,
        status=status_row,
        period_requested=stored["period_requested"],
        reentry=stored["reentry"],
        other_activity=stored["other_activity"],
        filer=user,
        organization=organization,
        applicant_key=key,
        content={"step1": stored},
        steps_done=["step1"],
    )
    try:
        with transaction.atomic():
            return transition(application, to=S.DRAFT, actor=user, request=request)
    except IntegrityError as exc:  # a second tab started the same draft at the same moment
        refusal = rules.refuse_open_draft(applicant_key=key, procedure=procedure, user=user)
        if refusal is None:
            raise
        raise refusal.as_error() from exc


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
    ``personal2``, ``organization`` or ``step3`` (fields: ``STEP_FIELDS``; others ignored).

    ``partial=True`` (autosave while typing): stores ``data`` under ``content[step]`` after
    per-field format checks only (FMT validators), never refuses for missing fields and never
    loses input: a value that fails its format is stored as typed (only a My Number is
    dropped) and the problems are returned on ``application.save_errors`` (a
    ``ValidationError`` or None) for the page to show. A changed step (and the steps that
    depend on it) leaves ``steps_done``.
    ``partial=False`` ("next"): stores the input as above, then validates the whole step
    (required fields — only those that apply; ``personal2`` runs
    ``cards.selectors.card_match(..., allow_expired=True)`` → code ``card_mismatch`` without
    saying which field, 002 Q4-21; then ``rules.check_eligibility`` with the card →
    ``applicant_person``, ``applicant_card``, ``applicant_key``, ``applicant_name``,
    ``applicant_birth_date``, ``bureau`` from the card's prefecture or, for a COE, the
    organization's bureau; a COE or acquisition is identified at ``personal1``) and adds
    ``step`` to ``steps_done``; raises ValidationError when it fails (the input stays saved).
    A foreign national's account gets ``person`` once their own card matches. Only the filer
    of a draft (``state == draft``); otherwise ValidationError code ``not_draft``; a step that
    does not apply: code ``step_not_applicable``. Sets ``last_saved_at`` and ``updated_at``;
    audit ``applications.application.saved`` (step name only, no content).
    A-5: a second draft for the same applicant and procedure → code ``open_draft_exists``
    (the unique index ``applications_one_draft_per_applicant`` backs it under a race).
    """
    if step not in rules.STEPS:
        raise _refusal("step_not_applicable", _("This step does not exist."), field="step")
    stored, format_errors = clean_fields(step, data or {})
    with transaction.atomic():
        locked = _lock_own_draft(user, application)
        if step not in rules.steps_for(locked):
            raise _refusal(
                "step_not_applicable",
                _("This step is not asked for this application; continue with the next one."),
                field="step",
            )
        content = dict(locked.content or {})
        before = dict(content.get(step) or {})
        merged = {**before, **stored}
        content[step] = merged
        locked.content = content
        if merged != before:
            drop = {step, *rules.DEPENDENT_STEPS.get(step, ())}
            locked.steps_done = [s for s in (locked.steps_done or []) if s not in drop]
        _save_draft(locked, {"content", "steps_done"})
        audit_record(
            action="applications.application.saved",
            obj=locked,
            actor=user,
            after={"step": step, "partial": partial},
            request=request,
        )
    if partial:
        locked.save_errors = ValidationError(format_errors) if format_errors else None
        return _sync(application, locked)
    with transaction.atomic():
        locked = _lock_own_draft(user, application)
        if format_errors:
            raise ValidationError(format_errors)
        _validate_step(locked, step, user=user, client_ip=client_ip)
        locked.steps_done = [s for s in (locked.steps_done or []) if s != step] + [step]
        _save_draft(locked, {"steps_done", *STEP_COLUMNS})
    locked.save_errors = None
    return _sync(application, locked)


def draft_purge(*, now: dt.datetime | None = None) -> int:
    """Delete drafts nobody saved for ``ZAIRYU_DRAFT_PURGE_DAYS`` (A-9): rows, documents, photo
    files (after commit). Daily (``core.work.register_housekeeper``); uses
    ``applications_draft_idx``. Audit ``applications.application.purged`` per draft (id only).
    Returns the number deleted."""
    now = now or clock.now()
    cutoff = now - dt.timedelta(days=settings.ZAIRYU_DRAFT_PURGE_DAYS)
    ids = list(
        Application.objects.filter(state=S.DRAFT, last_saved_at__lt=cutoff).values_list(
            "pk", flat=True
        )
    )
    purged = 0
    for pk in ids:
        with transaction.atomic():
            draft = (
                Application.objects.select_for_update()
                .filter(pk=pk, state=S.DRAFT, last_saved_at__lt=cutoff)
                .first()
            )
            if draft is None:
                continue  # saved or submitted meanwhile
            files = [d.file for d in draft.documents.all()]
            if draft.photo:
                files.append(draft.photo)
            _delete_files_after_commit(files)
            audit_record(
                action="applications.application.purged",
                object_type=draft._meta.label_lower,
                object_id=str(pk),
                after={"id": pk},
            )
            draft.delete()
            purged += 1
    return purged
