"""After submission, the filer's changes (A-8, A-12 [B]; 002 Q4-29, Q4-31, Q4-33, Q5-1): an
amendment before the examination (a new version), a withdrawal request, and a change of the
receipt method. Whether the filer may do each now is ``rules.actions``.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext as _

from zairyu.accounts.models import User
from zairyu.audit.services import audit_record
from zairyu.core import clock
from zairyu.core.validators import JisX0208Text, refuse_my_number

from .. import rules
from ..content import clean_fields, set_step3_receipt_method
from ..mails import application_mail, receipt_method_labels
from ..models import Application, WithdrawalAddOn
from ..selectors import current_documents
from .base import _lock, _merge, _refusal, _sync, version_record
from .steps import STEP_COLUMNS, _validate_step

# A reason for a withdrawal is JIS text of at most this many characters.
WITHDRAWAL_REASON_MAX = 1000


# --- amendment (A-12) ------------------------------------------------------------------------


def _merged_content(locked: Application, content: dict[str, Any]) -> dict[str, Any]:
    """The stored content with the changed fields of ``content`` merged in (formats checked)."""
    merged = dict(locked.content or {})
    errors: dict[str, list] = {}
    for step, data in (content or {}).items():
        if step not in rules.steps_for(locked):
            raise _refusal(
                "step_not_applicable",
                _("This step is not asked for this application."),
                field="step",
            )
        stored, format_errors = clean_fields(step, data or {})
        for field, items in format_errors.items():
            errors.setdefault(field, []).extend(items)
        merged[step] = {**(merged.get(step) or {}), **stored}
    if errors:
        raise ValidationError(errors)
    return merged


def _check_amendment(locked: Application, merged: dict[str, Any], *, user: User) -> None:
    """Every step in full with the merged content (set on ``locked``); the procedure and the
    applicant stay; at least one document stays attached."""
    if (merged.get("step1") or {}).get("procedure", locked.procedure_id) != locked.procedure_id:
        raise _refusal(
            "procedure_changed",
            _(
                "The procedure cannot be changed by an amendment. Ask the office to withdraw "
                "this application and file a new one."
            ),
            field="procedure",
        )
    key_before = locked.applicant_key
    locked.content = merged
    errors: dict[str, list] = {}
    for step in rules.steps_for(locked):
        try:
            _validate_step(locked, step, user=user, client_ip=None)
        except ValidationError as exc:
            _merge(errors, exc)
    if errors:
        raise ValidationError(errors)
    if locked.applicant_key != key_before:
        raise _refusal(
            "applicant_changed",
            _(
                "An amendment cannot change who the applicant is. Ask the office to withdraw "
                "this application and file one for the right person."
            ),
        )
    if not current_documents(locked, version=locked.version + 1).exists():
        raise ValidationError(
            {
                "file": [
                    ValidationError(
                        _("Keep at least one document attached."), code="documents_required"
                    )
                ]
            }
        )


def application_amend(
    *,
    user: User,
    application: Application,
    content: dict[str, Any],
    note: str = "",
    request: HttpRequest | None = None,
) -> Application:
    """Amend a submitted application before examination (A-12 [B]).

    Only the filer, while ``state`` is in ``AMENDABLE`` (申請完了) and
    ``examination_opened_at`` is empty (code ``not_amendable`` otherwise). ``content`` maps
    steps to their changed fields (merged into the stored step; an empty dict amends only the
    documents / photo changed since the last version). Validates every step in full like
    ``draft_save(partial=False)`` (the procedure cannot change: ``procedure_changed``; the
    applicant cannot change: code ``applicant_changed``), increments ``version`` and writes a
    new ``ApplicationVersion`` (content, current documents, receipt method, photo); earlier
    versions stay. Audit ``applications.application.amended`` (version numbers only); mail
    ``application_amended`` to the filer. State unchanged.
    """
    with transaction.atomic():
        locked = _lock(application)
        refusal = rules.refuse_amendment(locked, user)
        if refusal is not None:
            raise refusal.as_error()
        _check_amendment(locked, _merged_content(locked, content), user=user)
        before = locked.version
        now = clock.now()
        locked.version = before + 1
        locked.updated_at = now
        locked.save(update_fields=sorted({"content", "version", "updated_at", *STEP_COLUMNS}))
        version_record(locked, actor=user, at=now, note=note)
        audit_record(
            action="applications.application.amended",
            obj=locked,
            actor=user,
            before={"version": before},
            after={"version": locked.version},
            request=request,
        )
        application_mail(
            locked,
            template="application_amended",
            context={"version": locked.version, "note": note},
            to_applicant=False,
        )
    return _sync(application, locked)


# --- withdrawal request (A-12, 002 Q4-32, Q4-33) ------------------------------------------------


def _withdrawal_reason(reason: str) -> str:
    """The reason in its stored form: required, no My Number, JIS text (field ``reason``)."""
    text = (reason or "").strip()
    if not text:
        raise _refusal(
            "required",
            _("Write why the application should be withdrawn."),
            field="reason",
        )
    try:
        refuse_my_number(text, field=str(_("Reason for withdrawal")))
        return (
            JisX0208Text(
                field=_("Reason for withdrawal"),
                max_length=WITHDRAWAL_REASON_MAX,
                allow_ascii=True,
                multiline=True,
            )
            .clean(text)
            .value
        )
    except ValidationError as exc:
        raise ValidationError({"reason": exc.error_list}) from exc


def _refuse_add_on(locked: Application, add_on: str) -> None:
    """002 Q4-33: only an add-on the application includes can be withdrawn on its own."""
    if (add_on == WithdrawalAddOn.REENTRY and not locked.reentry) or (
        add_on == WithdrawalAddOn.OTHER_ACTIVITY and not locked.other_activity
    ):
        raise _refusal(
            "add_on_not_applied",
            _(
                "This application does not include it. Choose the whole application or "
                "what was applied for with it."
            ),
            field="add_on",
        )


def withdrawal_request(
    *,
    user: User,
    application: Application,
    reason: str,
    add_on: str = "",
    request: HttpRequest | None = None,
) -> Application:
    """Request withdrawal (A-12 [B]): the officer decides (``transition(to=withdrawn)``).

    Only the filer, in ``WITHDRAWABLE`` states (code ``not_withdrawable``) and once (code
    ``withdrawal_already_requested``); reason required (JIS text, code ``required`` or the
    JIS codes). ``add_on`` (002 Q4-33: ``"reentry"`` or ``"other_activity"``) asks to withdraw
    only the re-entry permit or the other-activity permission filed with the application (field
    ``add_on``: code ``invalid_choice``, or ``add_on_not_applied`` when the application has
    none); the officer then records it with ``officer.add_on_withdrawal_record``. Sets
    ``withdrawal_requested_at``, ``withdrawal_reason``, ``withdrawal_add_on``; audit
    ``applications.application.withdrawal_requested``; mail ``application_withdrawal_requested``
    to the filer. State unchanged until the officer acts.
    """
    add_on = add_on or ""
    if add_on not in WithdrawalAddOn.values:
        raise _refusal(
            "invalid_choice", _("Choose what to withdraw from the list."), field="add_on"
        )
    text = _withdrawal_reason(reason)
    with transaction.atomic():
        locked = _lock(application)
        refusal = rules.refuse_withdrawal_request(locked, user)
        if refusal is not None:
            raise refusal.as_error()
        _refuse_add_on(locked, add_on)
        now = clock.now()
        locked.withdrawal_requested_at = now
        locked.withdrawal_reason = text
        locked.withdrawal_add_on = add_on
        locked.updated_at = now
        locked.save(
            update_fields=[
                "withdrawal_requested_at",
                "withdrawal_reason",
                "withdrawal_add_on",
                "updated_at",
            ]
        )
        audit_record(
            action="applications.application.withdrawal_requested",
            obj=locked,
            actor=user,
            after={"state": locked.state, "add_on": add_on},
            request=request,
        )
        with translation.override(locked.filer.language or "ja"):
            add_on_label = str(WithdrawalAddOn(add_on).label) if add_on else ""
        application_mail(
            locked,
            template="application_withdrawal_requested",
            context={"reason": text, "add_on": add_on, "add_on_label": add_on_label},
            to_applicant=False,
        )
    return _sync(application, locked)


# --- receipt method (A-8, 002 Q5-1) --------------------------------------------------------------


def receipt_method_change_by_filer(
    *,
    user: User,
    application: Application,
    method: str,
    request: HttpRequest | None = None,
) -> Application:
    """The filer changes the receipt method (A-8, 002 Q5-1): cards and work certificates only,
    while ``RECEIPT_METHOD_CHANGEABLE`` (申請完了 / 審査中; code ``not_changeable``); a COE's
    method is fixed once filed (Q8-4, Q8-5: code ``coe_method_fixed``; the office changes it on
    request, ``officer.receipt_method_change_by_officer``). Only the filer (code
    ``not_changeable`` for anybody else; ``rules.refuse_receipt_method_change``). ``method``
    must be offered (``rules.refuse_receipt_method`` with ``rules.application_receipt_facts``).
    The same method again changes nothing. Audit
    ``applications.application.receipt_method_changed`` (before/after); mail
    ``application_receipt_method_changed`` to the filer and the applicant.
    """
    with transaction.atomic():
        locked = _lock(application)
        refusal = rules.refuse_receipt_method_change(locked, user) or rules.refuse_receipt_method(
            method, locked.procedure_id, **rules.application_receipt_facts(locked)
        )
        if refusal is not None:
            raise refusal.as_error()
        before = locked.receipt_method
        if before == method:
            return _sync(application, locked)
        locked.receipt_method = method
        locked.updated_at = clock.now()
        set_step3_receipt_method(locked, method)
        locked.save(update_fields=["receipt_method", "content", "updated_at"])
        audit_record(
            action="applications.application.receipt_method_changed",
            obj=locked,
            actor=user,
            before={"receipt_method": before},
            after={"receipt_method": method},
            request=request,
        )
        application_mail(
            locked,
            template="application_receipt_method_changed",
            context=receipt_method_labels(locked, before, method),
        )
    return _sync(application, locked)
