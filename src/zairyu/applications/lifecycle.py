"""The lifecycle of an application (A-11, 002 Q4-35): ``APPLICATION``, the state machine of
``models.TRANSITIONS`` (``zairyu.core.lifecycle``), and ``transition``, the only writer of
``Application.state``.

``transition`` locks the row, checks the table, sets the state with the fields that go with it
(the entry timestamp of the new state, ``filed_on`` on first submission, the caller's
``changes``), and in the same transaction appends an ``ApplicationStateChange``, writes the audit
event ``applications.application.<state>`` and queues the mail the caller names.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from zairyu.accounts.models import User
from zairyu.audit.services import audit_record
from zairyu.core.lifecycle import IllegalTransition, Lifecycle

from .mails import application_mail
from .models import NEW, TRANSITIONS, Application, ApplicationState, ApplicationStateChange

S = ApplicationState


class ApplicationStateError(IllegalTransition):
    """A transition the state table does not allow (a programming error, not a user's)."""


APPLICATION = Lifecycle("application", TRANSITIONS, error=ApplicationStateError)

# Timestamps ``transition`` sets when an application enters a state (if not set by ``changes``).
_ENTER_TIMESTAMPS: dict[str, tuple[str, ...]] = {
    S.SUBMITTED: ("submitted_at",),
    S.EXAMINING: ("examination_opened_at",),
    S.AWAITING_ISSUE: ("decided_at",),
    S.DENIED: ("decided_at",),
    S.WITHDRAWN: ("withdrawn_at",),
    S.COMPLETED: ("completed_at",),
}


def _entry_changes(locked: Application, to: str, from_state: str, changes: dict, now) -> dict:
    """``changes`` and the fields entering ``to`` sets unless ``changes`` sets them: the entry
    timestamp (``submitted_at`` only the first time), ``filed_on`` on first submission (002
    Q4-14: the day it was filed online) and ``decided_at`` when an examination completes."""
    changes = dict(changes)
    for name in _ENTER_TIMESTAMPS.get(to, ()):
        if name not in changes and not (name == "submitted_at" and locked.submitted_at):
            changes[name] = now
    if to == S.SUBMITTED and locked.filed_on is None and "filed_on" not in changes:
        changes["filed_on"] = now.date()
    if to == S.COMPLETED and from_state == S.EXAMINING and "decided_at" not in changes:
        changes["decided_at"] = now
    return changes


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
    given = dict(changes or {})

    def enter(locked: Application, from_state: str, now) -> list[str]:
        if from_state == NEW:  # inserted whole
            locked.created_at = locked.created_at or now
            locked.last_saved_at = locked.last_saved_at or now
            entered = given
        else:
            entered = _entry_changes(locked, to, from_state, given, now)
        for name, value in entered.items():
            setattr(locked, name, value)
        return list(entered)

    def record(locked: Application, from_state: str, now) -> None:
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

    # of=("self",) (the machine's lock): the application only, never the reference rows joined.
    locked = APPLICATION.transition(
        application,
        to=to,
        enter=enter,
        record=record,
        select_related=("procedure", "filer", "bureau"),
    )
    application.__dict__.update({k: v for k, v in locked.__dict__.items() if not k.startswith("_")})
    return locked
