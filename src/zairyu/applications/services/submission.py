"""Submission (A-9, A-10; 002 Q4-14, Q4-15, Q4-30): every step checked again, the documents and
the photo, the provisional number mailed at once, version 1, and the receipt-number task.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from zairyu.accounts.models import User
from zairyu.core import clock
from zairyu.core.work import enqueue_on_commit

from .. import rules
from ..lifecycle import transition
from ..models import Application, ApplicationState, DocumentKind
from ..numbers import next_provisional_number
from ..selectors import current_documents
from .base import _lock, _merge, _not_draft, _save_draft, _sync, version_record
from .steps import STEP_COLUMNS, _validate_step

S = ApplicationState


def _final_checks(
    application: Application, *, user: User, client_ip: str | None, today: dt.date
) -> None:
    """Every step again in full, then what only submission checks (A-6, A-7, A-8, Q4-30)."""
    errors: dict[str, list] = {}
    steps = rules.steps_for(application)
    missing = [s for s in steps if s not in (application.steps_done or [])]
    if missing:
        errors.setdefault(NON_FIELD_ERRORS, []).append(
            ValidationError(
                _("Complete every step first; the first one left is %(step)s.")
                % {"step": rules.STEP_NAMES.get(missing[0], missing[0])},
                code="steps_incomplete",
                params={"step": missing[0]},
            )
        )
        raise ValidationError(errors)
    for step in steps:
        try:
            _validate_step(application, step, user=user, client_ip=client_ip, today=today)
        except ValidationError as exc:
            _merge(errors, exc)
    documents = list(current_documents(application))
    if not documents:
        errors.setdefault("file", []).append(
            ValidationError(
                _("Attach the documents for the activity in Japan as PDF files before submitting."),
                code="documents_required",
            )
        )
    if any(d.over_limit_declaration for d in documents) and not any(
        d.kind == DocumentKind.DECLARATION for d in documents
    ):
        errors.setdefault("file", []).append(
            ValidationError(
                _(
                    "Some documents follow later: attach the declaration on attached documents "
                    "(参考様式9) with what fits now."
                ),
                code="declaration_required",
            )
        )
    if rules.photo_needed(application, today=today) and not application.photo_sha256:
        errors.setdefault("photo", []).append(
            ValidationError(
                _("Attach the applicant's face photo (JPEG, at most 50 KB) before submitting."),
                code="photo_required",
            )
        )
    if errors:
        raise ValidationError(errors)


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
    submitted with the same ``submit_token`` is returned unchanged, and so is this application
    when it is no longer a draft (a re-sent form, a double click or the back button never
    files twice and creates nothing twice). Checks again: every step done and valid
    (``steps_incomplete`` otherwise, the step in ``params``), ``applicant_email`` (code
    ``applicant_email_required``, Q4-30), documents (``documents_required``: at least one PDF;
    ``declaration_required`` on the over-limit path) and the photo where needed
    (``photo_required``), receipt method offered (``rules.refuse_receipt_method``),
    ``rules.check_eligibility`` on the day (A-4 with ``clock.today()``). Writes, in one
    transaction: ``provisional_number`` (``next_provisional_number``), ``version=1`` and the
    first ``ApplicationVersion``, ``transition(to=submitted, mail="application_submitted")``
    (mailed at once to the user and the applicant with the provisional number, Q4-15),
    ``filed_on`` = today (Q4-14); after commit enqueues the receipt-number task
    (``core.work.enqueue_on_commit``). Another user's application: code ``not_draft``.
    """
    existing = Application.objects.filter(submit_token=token, filer=user).first()
    if existing is not None:
        return existing
    from ..tasks import receipt_number_task

    with transaction.atomic():
        locked = _lock(application)
        if not rules.is_own(locked, user):
            raise _not_draft()
        if locked.state != S.DRAFT:
            return _sync(application, locked)  # submitted meanwhile (the other click)
        today = clock.today()
        _final_checks(locked, user=user, client_ip=client_ip, today=today)
        _save_draft(locked, set(STEP_COLUMNS))
        provisional = next_provisional_number()
        locked.documents.filter(version_added=0).update(version_added=1)
        submitted = transition(
            locked,
            to=S.SUBMITTED,
            actor=user,
            request=request,
            changes={
                "provisional_number": provisional,
                "version": 1,
                "submit_token": token,
                "filed_on": today,
            },
            mail="application_submitted",
        )
        version_record(submitted, actor=user)
        enqueue_on_commit(receipt_number_task, submitted.pk)
    return _sync(application, submitted)
