"""When an application is refused (A-4, A-5; REFERENCE.md §1; 002 Q1-4, Q4-8, Q4-10..Q4-12,
Q4-17, Q4-36), and ``check_eligibility``, which runs every rule of A-1, A-2, A-4 and A-5 that
applies and returns all refusals in the order a user should read them.

Registry facts come from the card (``cards.ResidenceCard``): the end of the period of stay
(``stay_until``), the holder abroad on re-entry (``abroad_on_reentry``), the day of the latest
moving-in notification (``last_moving_in_on``) and the period of stay. Every date is
``zairyu.core.clock.today()`` unless the caller passes ``today``.
"""

from __future__ import annotations

import datetime as dt
import ipaddress

from django.conf import settings
from django.utils.translation import gettext as _

from zairyu.accounts.models import User
from zairyu.cards.models import Organization, ResidenceCard
from zairyu.core import clock
from zairyu.reference.models import Procedure, Status

from ..models import Application, ApplicationState, MainProcedure
from .base import Refusal, _code, _go_to_office
from .filers import (
    _applicant_key,
    refuse_category,
    refuse_procedure,
    refuse_relation,
)
from .periods import acquisition_last_day, extension_opens_on

# --- REFERENCE.md §1: statuses eligible online -----------------------------------------------


def refuse_status(
    procedure: Procedure | str,
    *,
    status: Status | None,
    card: ResidenceCard | None = None,
    today: dt.date | None = None,
) -> Refusal | None:
    """002 Q1-4: holders of, and applicants for, Diplomat, Temporary Visitor and Designated
    Activities (preparation for departure) cannot apply online; a status must be grantable on
    the day (2027 changes); an extension keeps the status on the card."""
    today = today or clock.today()
    for candidate, which in ((status, "requested"), (card.status if card else None, "held")):
        if candidate is not None and not candidate.online_eligible:
            return Refusal(
                "status_not_online",
                _(
                    "Applications for or by holders of the status %(status)s cannot be filed "
                    "online. %(where)s"
                )
                % {"status": candidate.name_ja, "where": _go_to_office()},
                field="status",
                params={"which": which},
            )
    if status is not None and not status.is_current(today):
        return Refusal(
            "status_not_current",
            _("The status %(status)s cannot be granted on this date; choose a current status.")
            % {"status": status.name_ja},
            field="status",
        )
    if (
        _code(procedure) == MainProcedure.EXTENSION
        and status is not None
        and card is not None
        and status.pk != card.status_id
    ):
        return Refusal(
            "extension_other_status",
            _(
                "An extension keeps the status on the residence card (%(status)s). To change to "
                "another status, choose a change of status of residence."
            )
            % {"status": card.status.name_ja},
            field="status",
        )
    return None


# --- when an application is refused ----------------------------------------------------


def refuse_last_day(card: ResidenceCard | None, *, today: dt.date | None = None) -> Refusal | None:
    """A-4 (002 Q4-10): not on the last day of the period of stay; the day before is fine."""
    today = today or clock.today()
    if card is not None and card.stay_until is not None and card.stay_until == today:
        return Refusal(
            "last_day_of_stay",
            _(
                "Today is the last day of the applicant's period of stay: online applications are "
                "not accepted on that day. %(where)s"
            )
            % {"where": _go_to_office()},
        )
    return None


def refuse_stay_ended(
    procedure: Procedure | str,
    *,
    card: ResidenceCard | None = None,
    event_date: dt.date | None = None,
    today: dt.date | None = None,
) -> Refusal | None:
    """A-4 (002 Q4-11): not after the period of stay ended; an acquisition not more than 30
    days after the birth (or other event): day 30 is accepted, day 31 refused."""
    today = today or clock.today()
    if _code(procedure) == MainProcedure.ACQUISITION:
        if event_date is not None and today > acquisition_last_day(event_date):
            return Refusal(
                "acquisition_period_ended",
                _(
                    "More than 30 days have passed since the birth (or the event) on %(date)s, so "
                    "the acquisition of status can no longer be applied for online. Go to the "
                    "nearest regional immigration services bureau without delay."
                )
                % {"date": event_date.isoformat()},
                field="event_date",
            )
        return None
    if card is not None and card.stay_until is not None and card.stay_until < today:
        return Refusal(
            "stay_ended",
            _(
                "The applicant's period of stay ended on %(date)s, so no online application is "
                "possible. Go to the nearest regional immigration services bureau without delay "
                "to ask what to do."
            )
            % {"date": card.stay_until.isoformat()},
        )
    return None


def refuse_moving_in_today(
    card: ResidenceCard | None, *, today: dt.date | None = None
) -> Refusal | None:
    """A-4 (002 Q4-12): not on the day of a moving-in notification (転入届); from the next day."""
    today = today or clock.today()
    if card is not None and card.last_moving_in_on == today:
        return Refusal(
            "moving_in_today",
            _(
                "A moving-in notification was made today, so online applications are accepted "
                "from tomorrow. Apply tomorrow or later."
            ),
        )
    return None


def refuse_abroad(card: ResidenceCard | None) -> Refusal | None:
    """A-4 (002 Q4-17): not while the applicant is abroad on a (deemed) re-entry permit."""
    if card is not None and card.abroad_on_reentry:
        return Refusal(
            "applicant_abroad",
            _(
                "The registry records the applicant as abroad on a re-entry permit. Applications "
                "cannot be filed while the applicant is outside Japan; apply after the return."
            ),
        )
    return None


def allowed_networks() -> list:
    """The address ranges service A accepts (ZAIRYU_SERVICE_A_ALLOWED_NETWORKS; [] = all)."""
    return [
        ipaddress.ip_network(text, strict=False)
        for text in getattr(settings, "ZAIRYU_SERVICE_A_ALLOWED_NETWORKS", []) or []
    ]


def refuse_client_address(client_ip: str | None) -> Refusal | None:
    """A-4 (002 Q4-36): not from an address outside the allowed ranges (addresses in Japan).

    Off when the setting is empty (development, tests); when on, an unknown or malformed
    address is refused (fail closed).
    """
    networks = allowed_networks()
    if not networks:
        return None
    try:
        address = ipaddress.ip_address((client_ip or "").strip())
    except ValueError:
        address = None
    if address is not None:
        if getattr(address, "ipv4_mapped", None):
            address = address.ipv4_mapped
        if any(address.version == net.version and address in net for net in networks):
            return None
    return Refusal(
        "address_not_allowed",
        _(
            "Online applications cannot be made from outside Japan, and your connection does not "
            "come from an address in Japan. Connect from a network in Japan, or apply "
            "at the counter of a regional immigration services bureau."
        ),
    )


def refuse_extension_window(
    procedure: Procedure | str, *, card: ResidenceCard | None, today: dt.date | None = None
) -> Refusal | None:
    """A-4 [B]: an extension from three months before the end of a stay of six months or more
    (shorter stays: from the middle of the period); never for an unlimited stay."""
    if _code(procedure) != MainProcedure.EXTENSION or card is None:
        return None
    today = today or clock.today()
    if card.stay_until is None:
        return Refusal(
            "unlimited_stay",
            _("The applicant's period of stay has no end, so there is nothing to extend."),
            field="procedure",
        )
    opens = extension_opens_on(card)
    if opens is not None and today < opens:
        return Refusal(
            "extension_too_early",
            _(
                "An extension can be applied for from %(date)s (the period of stay ends on "
                "%(end)s). Apply on or after that day."
            )
            % {"date": opens.isoformat(), "end": card.stay_until.isoformat()},
            field="procedure",
            params={"opens_on": opens.isoformat()},
        )
    return None


# --- one open application per applicant and procedure ----------------------------------


def open_draft(
    *, applicant_key: str, procedure: Procedure | str, exclude_id: int | None = None
) -> Application | None:
    """The draft (入力完了(申請未了)) of the same applicant and procedure, if any."""
    if not applicant_key:
        return None
    query = Application.objects.filter(
        applicant_key=applicant_key, procedure_id=_code(procedure), state=ApplicationState.DRAFT
    )
    if exclude_id is not None:
        query = query.exclude(pk=exclude_id)
    return query.first()


def refuse_open_draft(
    *,
    applicant_key: str,
    procedure: Procedure | str,
    user: User | None = None,
    exclude_id: int | None = None,
) -> Refusal | None:
    """A-5 (002 Q4-8): a second application is refused while one waits as a draft; the refusal
    carries the draft's id (``params["application_id"]``) so the page leads the user to it when
    it is theirs (``params["own"]``)."""
    existing = open_draft(applicant_key=applicant_key, procedure=procedure, exclude_id=exclude_id)
    if existing is None:
        return None
    own = user is not None and existing.filer_id == user.pk
    if own:
        message = _(
            "You already have an unsubmitted application (入力完了(申請未了)) for this "
            "applicant and procedure. Open it from your application list to continue."
        )
    else:
        message = _(
            "Another user has an unsubmitted application for this applicant and "
            "procedure. Ask them to submit it or hand it to you."
        )
    return Refusal(
        "open_draft_exists",
        message,
        params={"application_id": existing.pk, "own": own},
    )


# --- everything at once ---------------------------------------------------------------------


def check_eligibility(
    *,
    user: User,
    procedure: Procedure | str,
    status: Status | None = None,
    card: ResidenceCard | None = None,
    applicant_name: str = "",
    applicant_birth_date: dt.date | None = None,
    event_date: dt.date | None = None,
    organization: Organization | None = None,
    relationship: str = "",
    reentry: str = "",
    other_activity: bool = False,
    client_ip: str | None = None,
    applicant_key: str | None = None,
    exclude_id: int | None = None,
    today: dt.date | None = None,
) -> list[Refusal]:
    """Run every rule of A-1, A-2, A-4 and A-5 that applies; return all refusals ([] = OK).

    Callers pass what is known so far: STEP1 knows the procedure and status, STEP2 the card
    (matched with ``cards.selectors.card_match(..., allow_expired=True)`` so an ended stay is
    refused with its own reason here), STEP2-3 the organization. ``event_date`` is the birth or
    other event of an acquisition (defaults to the applicant's birth date). ``applicant_key``
    defaults to ``applicant_key(card=card)``.
    """
    today = today or clock.today()
    found: list[Refusal | None] = [
        refuse_client_address(client_ip),
        refuse_procedure(procedure, reentry=reentry, other_activity=other_activity),
    ]
    if found[-1] is None:
        category = refuse_category(user, procedure)
        found.append(category)
        if category is None:
            found.append(
                refuse_relation(
                    user,
                    procedure,
                    card=card,
                    applicant_name=applicant_name,
                    applicant_birth_date=applicant_birth_date,
                    organization=organization,
                    relationship=relationship,
                    status=status,
                    today=today,
                )
            )
        found.append(refuse_status(procedure, status=status, card=card, today=today))
        if _code(procedure) != MainProcedure.COE:
            found += [
                refuse_stay_ended(
                    procedure,
                    card=card,
                    event_date=event_date or applicant_birth_date,
                    today=today,
                ),
                refuse_last_day(card, today=today),
                refuse_moving_in_today(card, today=today),
                refuse_abroad(card),
                refuse_extension_window(procedure, card=card, today=today),
            ]
        key = applicant_key if applicant_key is not None else _applicant_key(card=card)
        found.append(
            refuse_open_draft(
                applicant_key=key, procedure=procedure, user=user, exclude_id=exclude_id
            )
        )
    return [r for r in found if r is not None]
