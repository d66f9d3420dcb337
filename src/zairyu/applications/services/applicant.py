"""Who the applicant of a draft is, read from its content (A-2..A-5; 002 Q4-16, Q4-21): the
organization STEP2-3 names, the card STEP2-2 matches in the registry, the A-5 key, the
eligibility rules with what is known so far and the office with jurisdiction.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext as _

from zairyu.accounts.models import Category, User
from zairyu.cards.models import Organization, ResidenceCard
from zairyu.cards.selectors import card_match
from zairyu.reference.models import Bureau, Prefecture
from zairyu.reference.selectors import bureau_for_prefecture

from .. import rules
from ..content import content_date, step_content
from ..models import Application, MainProcedure


def _card_mismatch() -> ValidationError:
    """002 Q4-21: one message and the same mark on each card field, never which one differed."""
    check = ValidationError(
        _("Check this entry against the applicant's residence card."), code="card_check"
    )
    return ValidationError(
        {
            "card_number": [check],
            "card_valid_until": [check],
            NON_FIELD_ERRORS: [
                ValidationError(
                    _(
                        "The data do not match a valid residence card. Check that the "
                        "nationality or region, name, sex, date of birth and address "
                        "(prefecture and municipality) of personal data 1 and the card number "
                        "and card validity of personal data 2 are entered exactly as printed "
                        "on the applicant's residence card (the latest address may be on the "
                        "back)."
                    ),
                    code="card_mismatch",
                )
            ],
        }
    )


def _unsaved_organization(data: dict[str, Any]) -> Organization | None:
    if not data.get("organization_name"):
        return None
    return Organization(
        name=data["organization_name"],
        corporate_number=data.get("corporate_number") or None,
        prefecture_id=data.get("organization_prefecture") or None,
    )


def _resolve_organization(application: Application, user: User) -> Organization | None:
    """The organization STEP2-3 names: a registered one (by corporate number, or the staff
    user's own by name), else an unsaved one for the rules; organization staff default to
    their own organization (A-2)."""
    data = step_content(application, "organization")
    own = rules.staff_organization(user) if user.category in rules.STAFF_CATEGORIES else None
    number = data.get("corporate_number")
    if number:
        found = Organization.objects.filter(corporate_number=number).first()
        if found is not None:
            return found
    if (
        own is not None
        and data.get("organization_name")
        and rules._fold(data["organization_name"]) == rules._fold(own.name)
        and (not number or number == own.corporate_number)
    ):
        return own
    if data.get("organization_name"):
        return _unsaved_organization(data)
    if user.category == Category.ORGANIZATION_STAFF:
        return own
    return None


def _applicant_key(application: Application, card: ResidenceCard | None) -> str:
    personal = step_content(application, "personal1")
    return rules.applicant_key(
        card=card,
        nationality=personal.get("nationality", "") or "",
        birth_date=content_date(personal.get("birth_date") or ""),
        name=personal.get("roman_name", "") or "",
    )


def _match_card(application: Application) -> ResidenceCard | None:
    personal = step_content(application, "personal1")
    card = step_content(application, "personal2")
    birth_date = content_date(personal.get("birth_date") or "")
    valid_until = content_date(card.get("card_valid_until") or "")
    if birth_date is None or valid_until is None:
        return None
    return card_match(
        number=card.get("card_number", ""),
        roman_name=personal.get("roman_name", ""),
        nationality=personal.get("nationality", ""),
        birth_date=birth_date,
        sex=personal.get("sex", ""),
        prefecture=personal.get("prefecture") or None,
        municipality=personal.get("municipality") or None,
        card_valid_until=valid_until,
        allow_expired=True,
    )


def _eligibility(
    application: Application,
    *,
    user: User,
    card: ResidenceCard | None,
    organization: Organization | None,
    client_ip: str | None,
    organization_known: bool,
    today: dt.date | None = None,
) -> list[rules.Refusal]:
    personal = step_content(application, "personal1")
    refusals = rules.check_eligibility(
        user=user,
        procedure=application.procedure_id,
        status=application.status,
        card=card,
        applicant_name=personal.get("roman_name", "") or "",
        applicant_birth_date=content_date(personal.get("birth_date") or ""),
        event_date=content_date(personal.get("event_date") or ""),
        organization=organization,
        relationship=application.relationship,
        reentry=application.reentry,
        other_activity=application.other_activity,
        client_ip=client_ip,
        applicant_key=_applicant_key(application, card),
        exclude_id=application.pk,
        today=today,
    )
    if not organization_known:
        refusals = [r for r in refusals if r.code not in rules.ORGANIZATION_REFUSALS]
    return refusals


def _bureau_for(application: Application, organization: Organization | None) -> Bureau | None:
    """Q4-16: the office of the applicant's address; a COE's is the organization's."""
    if application.procedure_id == MainProcedure.COE:
        if organization is not None and organization.pk and organization.bureau_id:
            return organization.bureau
        prefecture = step_content(application, "organization").get("organization_prefecture")
    elif application.applicant_card is not None:
        prefecture = application.applicant_card.prefecture_id
    else:
        prefecture = step_content(application, "personal1").get("prefecture")
    if not prefecture:
        return None
    try:
        return bureau_for_prefecture(prefecture)
    except Prefecture.DoesNotExist:
        return None
