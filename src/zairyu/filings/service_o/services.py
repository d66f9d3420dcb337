"""Service O actions (SPEC OF-1..OF-5, BO-4): submit, change, withdraw; the officers' complete,
return for correction and withdrawal record; the retention job. Each changes state only through
``transition`` and writes its audit event and mail in the same transaction (ML-2).

Audit actions: ``service_o.filing.<action>`` with action submitted, changed, resubmitted,
completed, returned, withdrawn; ``service_o.filing.purged`` for the retention job (ids only).
Audit rows hold states, versions and officers' texts, never the filing's content.

Mails (OF-5, 004 Q41; templates ``mail/<lang>/service_o_<name>``): ``received`` (申込),
``changed`` (変更, also a corrected report resubmitted), ``withdrawn`` (取下げ), ``returned``
(修正依頼, with the officer's text), ``completed`` (完了).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import formats, translation
from django.utils.translation import gettext as _

from zairyu.accounts.models import User
from zairyu.accounts.officers import is_officer
from zairyu.audit.services import audit_record
from zairyu.cards.models import Organization
from zairyu.core import clock
from zairyu.filings.labels import local_name
from zairyu.mail.services import mail_queue
from zairyu.reference.models import ServiceOKind

from . import kinds, rules
from .models import (
    O_FILING,
    O_NEW,
    OFiling,
    OFilingState,
    OFilingStateChange,
    OFilingStateError,
    OFilingVersion,
)
from .selectors import ofilings_visible_to, organization_of

__all__ = ["OFilingStateError", "transition"]  # and the actions below

CORRECTION_MAX_LENGTH = 2000


def _refusal(code: str, message: str, field: str = NON_FIELD_ERRORS) -> ValidationError:
    return ValidationError({field: [ValidationError(message, code=code)]})


def _show(day: dt.date) -> str:
    return formats.date_format(day, "DATE_FORMAT")


# --- mails and the one transition function -------------------------------------------------------

_MAILS = {
    "submitted": "service_o_received",
    "changed": "service_o_changed",
    "resubmitted": "service_o_changed",
    "withdrawn": "service_o_withdrawn",
    "returned": "service_o_returned",
    "completed": "service_o_completed",
}


def _queue_mail(filing: OFiling, *, action: str, reason: str) -> None:
    user = filing.filer
    if not user.email:
        return
    language = user.language or "ja"
    with translation.override(language):
        context = {
            "filing": filing,
            "recipient": user,
            "kind_name": local_name(filing.kind, language),
            "kind_name_ja": filing.kind.name_ja,
            "state_label": str(OFilingState(filing.state).label),
            "action": action,
            "reason": reason,
            "site_url": settings.ZAIRYU_SITE_URL,
            # 004 Q42, Q44: no replies; whom to contact instead (UX-4: from configuration).
            "helpdesk": settings.ZAIRYU_HELPDESK,
        }
    mail_queue(
        template=_MAILS[action],
        to=user.email,
        language=language,
        context=context,
        related=filing,
    )


def _record(
    filing: OFiling,
    *,
    from_state: str,
    action: str,
    actor: User | None,
    reason: str = "",
    request: HttpRequest | None = None,
) -> None:
    """Append the history row, the audit event and the mail of one move."""
    OFilingStateChange.objects.create(
        filing=filing,
        at=filing.state_changed_at,
        from_state=from_state,
        to_state=filing.state,
        actor=actor,
        actor_repr=str(actor)[:150] if actor is not None else "",
        action=action,
        reason=reason,
    )
    after: dict[str, Any] = {"state": filing.state, "version": filing.version}
    if reason:
        after["reason"] = reason
    audit_record(
        action=f"service_o.filing.{action}",
        obj=filing,
        actor=actor,
        before={"state": from_state} if from_state else None,
        after=after,
        request=request,
    )
    _queue_mail(filing, action=action, reason=reason)


def transition(
    filing: OFiling,
    *,
    to: str,
    action: str,
    actor: User | None,
    reason: str = "",
    request: HttpRequest | None = None,
    update: Callable[[OFiling, dt.datetime], list[str]] | None = None,
) -> OFiling:
    """Move ``filing`` to ``to`` if the table allows it (and, for 返却中, the kind is returnable).

    Locks the row, checks the table (``O_FILING``), lets ``update`` change the locked row (a new
    version's content; it returns the fields it changed), saves, and appends the history row,
    the audit event and the mail in the same transaction. Nothing else assigns
    ``OFiling.state``.
    """

    def enter(locked: OFiling, from_state: str, now: dt.datetime) -> list[str]:
        if not rules.may_transition(locked.kind, from_state, to):
            raise OFilingStateError(f"service O filing {locked.pk}: {from_state} → {to}")
        fields = list(update(locked, now)) if update is not None else []
        if to == OFilingState.RETURNED:
            locked.correction_request = reason
            fields.append("correction_request")
        return fields

    def record(locked: OFiling, from_state: str, now: dt.datetime) -> None:
        _record(
            locked,
            from_state=from_state,
            action=action,
            actor=actor,
            reason=reason,
            request=request,
        )

    return O_FILING.transition(
        filing,
        to=to,
        enter=enter,
        record=record,
        select_related=("kind", "filer", "organization"),
    )


# --- the filer ------------------------------------------------------------------------------------


def _organization(user: User) -> Organization:
    organization = organization_of(user)
    if organization is None:
        raise _refusal(
            "not_service_o",
            _(
                "Only organization accounts registered for the organization filings system "
                "(specified skilled worker organizations, registered support organizations and "
                "Japanese-language institutions) can file this."
            ),
        )
    return organization


def window_refusal(kind: ServiceOKind, today: dt.date) -> ValidationError:
    start, end = rules.window(kind, today.year)
    return _refusal(
        "outside_window",
        _(
            "“%(kind)s” is filed only from %(start)s to %(end)s, for the fiscal year that ended "
            "on 31 March. It cannot be filed today (%(today)s). The next filing period starts "
            "on %(next)s."
        )
        % {
            "kind": local_name(kind),
            "start": _show(start),
            "end": _show(end),
            "today": _show(today),
            "next": _show(rules.next_window_start(kind, today=today)),
        },
    )


def _check(kind: ServiceOKind, items: dict, rows: list | None) -> kinds.Cleaned:
    cleaned = kinds.clean_values(kind, items, rows)
    if cleaned.errors:
        raise ValidationError(cleaned.errors)
    return cleaned


def _organization_snapshot(organization: Organization) -> dict:
    return {
        "id": organization.pk,
        "name": organization.name,
        "corporate_number": organization.corporate_number or "",
        "kind": organization.kind,
        "rso_registration_number": organization.rso_registration_number,
    }


def _content(kind: ServiceOKind, cleaned: kinds.Cleaned, organization, period) -> dict:
    content: dict[str, Any] = {
        "items": cleaned.items,
        "workers": cleaned.rows,
        "organization": _organization_snapshot(organization),
    }
    if period is not None:
        year, start, end = period
        content["period"] = {
            "fiscal_year": year,
            "start": start.isoformat(),
            "end": end.isoformat(),
        }
    return content


def ofiling_submit(
    *,
    user: User,
    kind: ServiceOKind,
    items: dict[str, Any],
    rows: list[dict[str, Any]] | None = None,
    token: uuid.UUID,
    request: HttpRequest | None = None,
) -> OFiling:
    """OF-1, OF-4: an organization files one notification or report; it waits as 処理待ち.

    A form sent twice (back button, double click) carries the same token and returns the
    filing it created. The periodic notification is refused outside its window (form 3-6:
    1 April - 31 May), saying when it opens.
    """
    existing = OFiling.objects.filter(token=token).first()
    if existing is not None:
        if existing.filer_id != user.pk:
            raise _refusal("token_used", _("This form was already used. Start again."))
        return existing
    organization = _organization(user)
    if not rules.may_file(kind, organization):
        raise _refusal(
            "kind_not_for_organization",
            _(
                "Your kind of organization (%(organization_kind)s) does not file “%(kind)s”. "
                "Choose one of the notifications offered to you."
            )
            % {"organization_kind": organization.get_kind_display(), "kind": local_name(kind)},
        )
    now = clock.now()
    today = now.date()
    if not rules.may_file_today(kind, organization, today=today):
        raise window_refusal(kind, today)
    cleaned = _check(kind, items, rows)
    period = rules.periodic_period(today=today) if rules.has_window(kind) else None
    on = rules.event_date(kind, cleaned.items)
    last_day = rules.deadline(kind, on, today=today)
    try:
        with transaction.atomic():
            O_FILING.check(O_NEW, OFilingState.PENDING, label="new")
            filing = OFiling.objects.create(
                kind=kind,
                state=OFilingState.PENDING,
                filer=user,
                organization=organization,
                bureau_id=organization.bureau_id,
                event_date=on,
                deadline=last_day,
                late=rules.is_late(last_day, today),
                fiscal_year=period[0] if period else None,
                content=_content(kind, cleaned, organization, period),
                token=token,
                filed_at=now,
                filed_on=today,
                changed_at=now,
                state_changed_at=now,
            )
            _record(filing, from_state=O_NEW, action="submitted", actor=user, request=request)
    except IntegrityError:
        # The same form sent twice at the same moment: the unique token lets one through.
        existing = OFiling.objects.filter(token=token, filer=user).first()
        if existing is None:
            raise
        return existing
    return filing


def _own(user: User, filing: OFiling) -> Organization:
    organization = _organization(user)
    if filing.organization_id != organization.pk:
        raise PermissionError("the filing belongs to another organization")
    return organization


def _not_changeable(filing: OFiling) -> ValidationError:
    return _refusal(
        "not_changeable",
        _(
            "%(number)s is %(state)s, so it can no longer be changed or withdrawn. If it was "
            "wrong, file it again with the right content."
        )
        % {"number": filing.number, "state": OFilingState(filing.state).label},
    )


def ofiling_change(
    *,
    user: User,
    filing: OFiling,
    items: dict[str, Any],
    rows: list[dict[str, Any]] | None = None,
    token: uuid.UUID,
    request: HttpRequest | None = None,
) -> OFiling:
    """004 Q12: the filer changes a pending filing, or corrects a returned report and files it
    again (→ 処理待ち; 004 Q11: a returned report must be corrected, so one sent back unchanged
    is refused). The earlier content is kept as a version; a change sent twice (same
    token) is applied once. A periodic notification filed in its window may be corrected after
    the window closed (the window limits filing, not correcting what was filed in time)."""
    if OFilingVersion.objects.filter(replaced_by_token=token, filing=filing).exists():
        filing.refresh_from_db()
        return filing
    organization = _own(user, filing)
    if not rules.filer_may_change(filing.state):
        raise _not_changeable(filing)
    cleaned = _check(filing.kind, items, rows)
    if filing.state == OFilingState.RETURNED and not rules.corrected(filing, cleaned):
        raise _refusal(
            "correction_unchanged",
            _(
                "Nothing in the report was changed. Correct it as the bureau asked (see the "
                "correction request), then file it again."
            ),
        )
    on = rules.event_date(filing.kind, cleaned.items)

    def update(locked: OFiling, now: dt.datetime) -> list[str]:
        OFilingVersion.objects.create(
            filing=locked,
            number=locked.version,
            content=locked.content,
            created_at=locked.changed_at,
            replaced_by_token=token,
            replaced_at=now,
        )
        period = None
        if "period" in locked.content:
            period_data = locked.content["period"]
            period = (
                period_data["fiscal_year"],
                dt.date.fromisoformat(period_data["start"]),
                dt.date.fromisoformat(period_data["end"]),
            )
        locked.content = _content(locked.kind, cleaned, organization, period)
        locked.version += 1
        locked.changed_at = now
        locked.event_date = on
        if not rules.has_window(locked.kind):
            locked.deadline = rules.deadline(locked.kind, on)
        locked.late = rules.is_late(locked.deadline, locked.filed_on)
        return ["content", "version", "changed_at", "event_date", "deadline", "late"]

    action = "resubmitted" if filing.state == OFilingState.RETURNED else "changed"
    try:
        return transition(
            filing,
            to=OFilingState.PENDING,
            action=action,
            actor=user,
            request=request,
            update=update,
        )
    except OFilingStateError as exc:
        filing.refresh_from_db()
        raise _not_changeable(filing) from exc
    except IntegrityError:
        if OFilingVersion.objects.filter(replaced_by_token=token, filing=filing).exists():
            filing.refresh_from_db()
            return filing
        raise


def ofiling_withdraw(*, user: User, filing: OFiling, request: HttpRequest | None = None) -> OFiling:
    """004 Q11: the filer withdraws a pending or returned filing (取下げ); never a completed one."""
    _own(user, filing)
    if not rules.filer_may_change(filing.state):
        raise _not_changeable(filing)
    try:
        return transition(
            filing, to=OFilingState.WITHDRAWN, action="withdrawn", actor=user, request=request
        )
    except OFilingStateError as exc:
        filing.refresh_from_db()
        raise _not_changeable(filing) from exc


# --- officers (BO-4) --------------------------------------------------------------------------


def _require_officer_scope(actor: User, filing: OFiling) -> None:
    """Officers act only on filings of their jurisdiction (views check first; the backstop)."""
    if (
        not is_officer(actor, "change")
        or not ofilings_visible_to(actor).filter(pk=filing.pk).exists()
    ):
        raise PermissionError("the officer may not act on this filing")


def _state_refusal(filing: OFiling, code: str, message: str) -> ValidationError:
    return _refusal(code, message % {"state": OFilingState(filing.state).label})


def ofiling_complete(
    *, actor: User, filing: OFiling, request: HttpRequest | None = None
) -> OFiling:
    """BO-4: the bureau has processed a pending filing (完了); the filer is mailed."""
    _require_officer_scope(actor, filing)
    try:
        return transition(
            filing, to=OFilingState.COMPLETED, action="completed", actor=actor, request=request
        )
    except OFilingStateError as exc:
        raise _state_refusal(
            filing,
            "not_completable",
            _("Only a pending filing can be completed; this one is %(state)s."),
        ) from exc


def ofiling_return(
    *, actor: User, filing: OFiling, text: str, request: HttpRequest | None = None
) -> OFiling:
    """BO-4, OF-2: return a JLI report for correction (返却中) with the correction request,
    which is mailed to the school (修正依頼メール, 004 Q11-Q12)."""
    _require_officer_scope(actor, filing)
    text = (text or "").strip()
    if not text:
        raise _refusal(
            "correction_required",
            _("Write what the school must correct; it is mailed to them."),
            field="text",
        )
    if len(text) > CORRECTION_MAX_LENGTH:
        raise _refusal(
            "correction_too_long",
            _("The correction request can have at most %(max)d characters; it has %(length)d.")
            % {"max": CORRECTION_MAX_LENGTH, "length": len(text)},
            field="text",
        )
    if not rules.is_returnable(filing.kind):
        raise _refusal(
            "not_returnable",
            _(
                "Only reports of Japanese-language institutions can be returned for correction. "
                "Complete this filing, or ask the organization to withdraw it and file again."
            ),
        )
    try:
        return transition(
            filing,
            to=OFilingState.RETURNED,
            action="returned",
            actor=actor,
            reason=text,
            request=request,
        )
    except OFilingStateError as exc:
        raise _state_refusal(
            filing,
            "not_returnable_state",
            _("Only a pending report can be returned; this one is %(state)s."),
        ) from exc


def ofiling_withdraw_by_officer(
    *, actor: User, filing: OFiling, reason: str, request: HttpRequest | None = None
) -> OFiling:
    """BO-4: record a withdrawal the organization asked for at the bureau (by mail, counter)."""
    _require_officer_scope(actor, filing)
    reason = (reason or "").strip()
    if not reason:
        raise _refusal("reason_required", _("Write why the filing is withdrawn."), field="reason")
    try:
        return transition(
            filing,
            to=OFilingState.WITHDRAWN,
            action="withdrawn",
            actor=actor,
            reason=reason[:2000],
            request=request,
        )
    except OFilingStateError as exc:
        raise _state_refusal(
            filing, "not_withdrawable", _("A filing that is %(state)s cannot be withdrawn.")
        ) from exc


# --- retention (OF-3, 004 Q10) ------------------------------------------------------------------


def ofiling_purge(*, now: dt.datetime | None = None, batch: int = 500) -> int:
    """Delete completed and withdrawn filings that became final more than the retention period
    ago, with their versions and history; return how many. Pending and returned filings are
    never deleted. The audit trail records the ids deleted (no content)."""
    cutoff = rules.purge_before(now=now)
    total = 0
    while True:
        # ofilings_final_idx (partial, final states) serves this query.
        ids = list(
            OFiling.objects.filter(
                state__in=[OFilingState.COMPLETED, OFilingState.WITHDRAWN],
                state_changed_at__lt=cutoff,
            )
            .order_by("id")
            .values_list("pk", flat=True)[:batch]
        )
        if not ids:
            return total
        with transaction.atomic():
            OFiling.objects.filter(pk__in=ids).delete()
            audit_record(
                action="service_o.filing.purged",
                object_type="filings.ofiling",
                after={
                    "filings": ids,
                    "retention_days": rules.retention_days(),
                    "before": cutoff.isoformat(),
                },
            )
        total += len(ids)
