"""The one transition of a filing (``FILING``, ``zairyu.core.lifecycle``) and what goes with
every move: the history row, the audit event, the mails and the registration task."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import translation

from zairyu.accounts.models import User
from zairyu.audit.services import audit_entry, audit_record_many
from zairyu.core.work import enqueue_on_commit
from zairyu.mail.services import mail_queue

from .. import errors
from ..labels import local_name
from ..models import (
    FILING,
    NEW,
    FiledAs,
    Filing,
    FilingState,
    FilingStateChange,
    FilingStateError,
)

__all__ = ["FilingStateError", "transition"]


def _recipients(filing: Filing) -> list[tuple[User, str]]:
    """Who is mailed about a filing, and as what (the filer; the resident of a proxy filing)."""
    people = [(filing.filer, "filer")]
    if filing.filed_as == FiledAs.PROXY and filing.resident_account_id:
        people.append((filing.resident_account, "resident"))
    return people


_MAILS = {
    FilingState.REGISTERING: "filing_received",
    FilingState.REGISTERED: "filing_registered",
    FilingState.ERROR: "filing_error",
    FilingState.SUPERSEDED: "filing_superseded",
    FilingState.WITHDRAWN: "filing_withdrawn",
}


# A filing with a source (``content["source"]``: a program filed it for its filer as one of
# many, e.g. the rows of an uploaded file) does not mail its filer at reception nor at a
# registration that went as expected: the program mails one summary instead. An error, a
# withdrawal and every mail to the resident of a proxy filing (NF-4) are still sent.
_QUIET_FOR_FILER = frozenset(
    {FilingState.REGISTERING, FilingState.REGISTERED, FilingState.SUPERSEDED}
)

# Filings written before the source had this neutral name (issue 16) keep it under this key.
_EARLIER_SOURCE_KEY = "bulk_job"


def has_source(filing: Filing) -> bool:
    """Whether a program filed ``filing`` as one of many (``source=`` of the submit services):
    its filer gets the program's summary, and the program queues the registration."""
    content = filing.content
    return bool(content.get("source") or content.get(_EARLIER_SOURCE_KEY))


def _queue_mails(filing: Filing, *, to: str, reason: str, retry: bool) -> None:
    if retry:
        return  # the end of the new registration is mailed; the retry itself is the bureau's
    template = _MAILS[to]
    quiet = to in _QUIET_FOR_FILER and has_source(filing)
    for user, role in _recipients(filing):
        if not user.email or (quiet and role == "filer"):
            continue
        with translation.override(user.language or "ja"):
            context = {
                "filing": filing,
                "role": role,
                "recipient": user,
                "event_name": local_name(filing.event, user.language),
                "event_name_ja": filing.event.name_ja,
                "state_label": str(FilingState(filing.state).label),
                "error_message": (
                    errors.error_message(filing.error_code, filing.error_params)
                    if filing.error_code
                    else ""
                ),
                "reason": reason,
                "site_url": settings.ZAIRYU_SITE_URL,
            }
        mail_queue(
            template=template,
            to=user.email,
            language=user.language or "ja",
            context=context,
            related=filing,
        )


def _record(
    filings: list[Filing],
    *,
    from_state: str,
    to: str,
    actor: User | None,
    reason: str = "",
    request: HttpRequest | None = None,
    action: str | None = None,
) -> None:
    """Append the history rows, the audit events and the mails of one state change of each
    of ``filings`` (one filing, or a batch of new ones: one INSERT per table either way)."""
    FilingStateChange.objects.bulk_create(
        [
            FilingStateChange(
                filing=filing,
                at=filing.state_changed_at,
                from_state=from_state,
                to_state=to,
                actor=actor,
                actor_repr=str(actor)[:150] if actor is not None else "",
                reason=reason[:500],
            )
            for filing in filings
        ]
    )
    entries = []
    for filing in filings:
        after: dict[str, Any] = {"state": to}
        if reason:
            after["reason"] = reason
        if to == FilingState.ERROR:
            after["error_code"] = filing.error_code
        entries.append(
            audit_entry(
                action=action or f"filings.filing.{to}",
                obj=filing,
                actor=actor,
                before={"state": from_state} if from_state else None,
                after=after,
                request=request,
            )
        )
    audit_record_many(entries)
    retry = from_state == FilingState.ERROR and to == FilingState.REGISTERING
    for filing in filings:
        _queue_mails(filing, to=to, reason=reason, retry=retry)
        if to == FilingState.REGISTERING and not (from_state == NEW and has_source(filing)):
            # The program that filed it with a source queues the registration itself (e.g.
            # one task per batch); the sweeper hands out any filing still waiting either way.
            from ..tasks import filing_register_task

            enqueue_on_commit(filing_register_task, filing.pk)


def transition(
    filing: Filing,
    *,
    to: str,
    actor: User | None = None,
    reason: str = "",
    error: tuple[str, dict] | None = None,
    request: HttpRequest | None = None,
) -> Filing:
    """Move ``filing`` to state ``to`` if the table allows it; return the updated row.

    Locks the row, checks ``TRANSITIONS`` (``FILING``), applies the change and, in the same
    transaction, appends the history row, the audit event and the mails; entering 登録中 again
    (an officer's retry) queues the registration task after commit. Nothing else assigns
    ``Filing.state``.
    """

    def enter(locked: Filing, from_state: str, now: dt.datetime) -> list[str]:
        return _enter(locked, to=to, now=now, error=error)

    def record(locked: Filing, from_state: str, now: dt.datetime) -> None:
        _record([locked], from_state=from_state, to=to, actor=actor, reason=reason, request=request)

    # of=("self",): lock the filing only, never the reference rows it is joined with.
    return FILING.transition(
        filing,
        to=to,
        enter=enter,
        record=record,
        select_related=("event", "filer", "resident_account", "organization"),
    )


def _enter(locked: Filing, *, to: str, now: dt.datetime, error: tuple[str, dict] | None) -> list:
    """The fields that change with the state ``to`` (the state and its time are the machine's)."""
    fields = []
    if to == FilingState.REGISTERED:
        locked.registered_at = now
        fields.append("registered_at")
    if to == FilingState.ERROR:
        locked.error_code, locked.error_params = error or (errors.SYSTEM_ERROR, {})
        fields += ["error_code", "error_params"]
    if to == FilingState.REGISTERING:
        locked.error_code, locked.error_params = "", {}
        locked.leased_until = None
        locked.attempts = 0
        locked.reviewed_at, locked.reviewed_by, locked.review_note = None, None, ""
        fields += [
            "error_code",
            "error_params",
            "leased_until",
            "attempts",
            "reviewed_at",
            "reviewed_by",
            "review_note",
        ]
    if to in (FilingState.REGISTERED, FilingState.ERROR, FilingState.SUPERSEDED):
        locked.leased_until = None
        fields.append("leased_until")
    return fields
