"""Registration (NF-5, NF-6): the background task's work — check a filing in 登録中 against
the registry again, register it (superseding same-day identical filings) or record the error —
and the sweeper that hands out filings whose task never ran."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _

from zairyu.cards.selectors import card_match
from zairyu.core import clock
from zairyu.core.work import claim, lease_until, wake_due

from .. import errors, rules
from ..models import FiledAs, Filing, FilingState
from ..selectors import registered_resident_accounts
from .checks import RosterLine, _roster_line_ok
from .lifecycle import transition

# A registration that failed this many times for a reason of the system (not of the filing)
# stops retrying and goes to the officers' error queue.
MAX_REGISTRATION_ATTEMPTS = 5


def _content_face(content: dict) -> dict:
    resident = content["resident"]
    return {
        "number": resident["card_number"],
        "roman_name": resident["roman_name"],
        "nationality": resident["nationality"],
        "birth_date": dt.date.fromisoformat(resident["birth_date"]),
        "sex": resident["sex"],
        "prefecture": resident["prefecture"],
    }


def registration_problem(filing: Filing) -> tuple[str, dict] | None:  # noqa: C901 - a debt (docs/architecture.md)
    """Check a filing against the registry again (NF-5); return (error code, params) or None.

    The registry may have moved since the form was checked: a card renewed or invalidated, a
    status changed, a resident's account deleted.
    """
    event = filing.event
    content = filing.content
    if filing.filed_as == FiledAs.ORGANIZATION and not rules.organization_may_file(
        event, filing.organization
    ):
        return errors.ORGANIZATION_NOT_ELIGIBLE, {}
    if rules.is_roster(event):
        unmatched = []
        for row in content.get("roster", []):
            line = RosterLine(
                line=row["line"],
                number=row["card_number"],
                roman_name=row["roman_name"],
                nationality=row["nationality"],
                birth_date=dt.date.fromisoformat(row["birth_date"]),
                sex=row["sex"],
            )
            if not _roster_line_ok(event, line):
                unmatched.append(line.line)
        return (errors.ROSTER_NOT_MATCHED, {"lines": unmatched}) if unmatched else None
    face = _content_face(content)
    if filing.filed_as == FiledAs.RESIDENT:
        # The resident's common items came from the registry itself; a move recorded since
        # (a new address) does not make the notification wrong, a new or invalid card does.
        face.pop("prefecture")
    card = card_match(**face)
    if card is None:
        return errors.CARD_NOT_MATCHED, {"number": face["number"]}
    if filing.filed_as == FiledAs.ORGANIZATION:
        if not rules.status_accepted(event, card.status):
            return errors.STATUS_NOT_ACCEPTED, {"status": card.status_id}
        return None
    if not rules.resident_may_file(event, card.status):
        return errors.STATUS_NOT_ELIGIBLE, {"status": card.status_id}
    if filing.filed_as == FiledAs.PROXY and not registered_resident_accounts(card.person_id):
        return errors.RESIDENT_NOT_REGISTERED, {}
    return None


def _ready(now: dt.datetime) -> Q:
    return Q(state=FilingState.REGISTERING) & (
        Q(leased_until__isnull=True) | Q(leased_until__lt=now)
    )


def filing_register(*, filing_id: int) -> bool:
    """Register one filing if it is still 登録中 and nobody else holds it; True when it moved.

    Idempotent: a second call for the same filing (a duplicate broker message, the sweeper)
    finds it claimed or moved on and does nothing. Of identical filings of one day the last
    one filed counts (NF-6, 001 Q73): registering one supersedes the earlier ones already
    registered, and one registering after a later identical one was registered is superseded
    at once.
    """
    now = clock.now()
    if not claim(
        Filing.objects,
        pk=filing_id,
        ready=_ready(now),
        claimed={"leased_until": lease_until(), "attempts": F("attempts") + 1},
    ):
        return False
    filing = Filing.objects.select_related("event", "organization").get(pk=filing_id)
    if filing.attempts > MAX_REGISTRATION_ATTEMPTS:
        transition(filing, to=FilingState.ERROR, error=(errors.SYSTEM_ERROR, {}))
        return True
    problem = registration_problem(filing)
    with transaction.atomic():
        # Lock every filing identical to this one filed the same day, in id order, so two
        # workers registering twins decide one after the other.
        twins = list(
            Filing.objects.select_for_update()
            .filter(digest=filing.digest, filed_on=filing.filed_on)
            .order_by("id")
        )
        current = next(t for t in twins if t.pk == filing.pk)
        if current.state != FilingState.REGISTERING or current.attempts != filing.attempts:
            return False  # withdrawn meanwhile, or a newer claim took over (fencing)
        if problem is not None:
            transition(current, to=FilingState.ERROR, error=problem)
            return True
        later = [
            t
            for t in twins
            if t.state == FilingState.REGISTERED
            and (t.filed_at, t.pk) > (current.filed_at, current.pk)
        ]
        if later:
            transition(
                current,
                to=FilingState.SUPERSEDED,
                reason=_("An identical notification filed later the same day counts (%(number)s).")
                % {"number": later[-1].number},
            )
            return True
        registered = transition(current, to=FilingState.REGISTERED)
        for twin in twins:
            if twin.state == FilingState.REGISTERED and (twin.filed_at, twin.pk) < (
                current.filed_at,
                current.pk,
            ):
                transition(
                    twin,
                    to=FilingState.SUPERSEDED,
                    reason=_(
                        "An identical notification filed later the same day counts (%(number)s)."
                    )
                    % {"number": registered.number},
                )
    return True


def filing_sweep(*, limit: int = 1000) -> int:
    """Wake again the filings still 登録中 whose task never came or whose worker died: not
    claimed (or the lease ran out) and not woken for ``ZAIRYU_WAKE_GRACE_SECONDS`` — a filing
    woken more recently is still queued behind the others (``core.work.wake_due``)."""
    from ..tasks import filing_register_task

    # filings_registering_idx (partial, state = registering) serves this query.
    return wake_due(
        Filing.objects.filter(_ready(clock.now())),
        filing_register_task,
        grace_seconds=settings.ZAIRYU_WAKE_GRACE_SECONDS,
        since="state_changed_at",
        limit=limit,
    )
