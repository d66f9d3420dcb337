"""The officers' actions on a filing (BO-4): withdraw it on the filer's request, run its
registration again, mark its registration error as reviewed."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from zairyu.accounts.models import User
from zairyu.accounts.officers import is_officer
from zairyu.audit.services import audit_record
from zairyu.core import clock

from ..models import Filing, FilingState, FilingStateError
from .checks import _refusal
from .lifecycle import transition


def _require_officer_scope(actor: User, filing: Filing) -> None:
    """Officers act only on filings of their jurisdiction (views check first; this is the
    backstop for other callers)."""
    from ..selectors import filings_visible_to

    if (
        not is_officer(actor, "change")
        or not filings_visible_to(actor).filter(pk=filing.pk).exists()
    ):
        raise PermissionError("the officer may not act on this filing")


def filing_withdraw(
    *, actor: User, filing: Filing, reason: str, request: HttpRequest | None = None
) -> Filing:
    """Withdraw a filing on the filer's request (001 Q74: through the bureau, not online)."""
    _require_officer_scope(actor, filing)
    reason = (reason or "").strip()
    if not reason:
        raise _refusal(
            "reason_required", _("Write why the notification is withdrawn."), field="reason"
        )
    try:
        return transition(
            filing, to=FilingState.WITHDRAWN, actor=actor, reason=reason, request=request
        )
    except FilingStateError as exc:
        raise _refusal(
            "not_withdrawable",
            _("A notification that is %(state)s cannot be withdrawn.")
            % {"state": FilingState(filing.state).label},
        ) from exc


def filing_retry(*, actor: User, filing: Filing, request: HttpRequest | None = None) -> Filing:
    """Run registration again for a filing in 登録エラー (e.g. after the registry was corrected)."""
    _require_officer_scope(actor, filing)
    try:
        return transition(
            filing,
            to=FilingState.REGISTERING,
            actor=actor,
            reason=_("Registration run again by the bureau."),
            request=request,
        )
    except FilingStateError as exc:
        raise _refusal(
            "not_retryable", _("Only a notification in registration error can be run again.")
        ) from exc


def filing_review(
    *, actor: User, filing: Filing, note: str = "", request: HttpRequest | None = None
) -> Filing:
    """Mark a registration error as reviewed (it leaves the queue); the filing stays in error."""
    _require_officer_scope(actor, filing)
    with transaction.atomic():
        locked = Filing.objects.select_for_update().get(pk=filing.pk)
        if locked.state != FilingState.ERROR:
            raise _refusal(
                "not_error", _("Only a notification in registration error can be reviewed.")
            )
        locked.reviewed_at = clock.now()
        locked.reviewed_by = actor
        locked.review_note = (note or "").strip()[:500]
        locked.save(update_fields=["reviewed_at", "reviewed_by", "review_note"])
        audit_record(
            action="filings.filing.reviewed",
            obj=locked,
            actor=actor,
            after={"note": locked.review_note},
            request=request,
        )
    return locked
