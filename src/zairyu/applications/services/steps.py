"""Checking a whole step of a draft (A-3; "next", submission and amendment): the formats, the
required fields that apply, the card match (002 Q4-21) and the eligibility rules; each step
sets the columns it decides (not saved: the caller saves them with ``STEP_COLUMNS``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from zairyu.accounts.models import Category, User
from zairyu.cards.models import ResidenceCard
from zairyu.reference.models import Status

from .. import rules
from ..content import clean_fields, content_date, step_content
from ..models import CARD_PROCEDURES, Application, MainProcedure
from .applicant import (
    _applicant_key,
    _bureau_for,
    _card_mismatch,
    _eligibility,
    _match_card,
    _resolve_organization,
)
from .base import _required

# Columns a full step validation may set.
STEP_COLUMNS = (
    "procedure",
    "status",
    "period_requested",
    "reentry",
    "other_activity",
    "relationship",
    "applicant_name",
    "applicant_birth_date",
    "applicant_card",
    "applicant_person",
    "applicant_key",
    "bureau",
    "organization",
    "applicant_email",
    "kanji_name_requested",
    "receipt_method",
)


def _checked_fields(application: Application, step: str) -> dict[str, Any]:
    """``content[step]`` in its stored form, every format and required field checked."""
    stored, errors = clean_fields(step, step_content(application, step))
    for field in rules.required_fields(application, step):
        if field in errors or stored.get(field) not in (None, ""):
            continue
        if field == "applicant_email":
            errors.setdefault(field, []).append(
                ValidationError(
                    _(
                        "Enter the applicant's notification e-mail address: the provisional "
                        "and the receipt number are sent to it. If the applicant "
                        "has no address, enter one where they can read the notices."
                    ),
                    code="applicant_email_required",
                )
            )
        else:
            errors.setdefault(field, []).append(_required(field))
    if errors:
        raise ValidationError(errors)
    return stored


def _validate_step(
    application: Application,
    step: str,
    *,
    user: User,
    client_ip: str | None,
    today: dt.date | None = None,
) -> None:
    """Check ``content[step]`` of a locked application in full and set the columns it decides
    (not saved). Raises ValidationError (field errors, refusals, ``card_mismatch``)."""
    stored = _checked_fields(application, step)
    if step == "step1":
        _apply_step1(application, stored, user=user)
    elif step == "personal1":
        _apply_personal1(application, stored, user=user, client_ip=client_ip, today=today)
    elif step == "personal2":
        card = _match_card(application)
        if card is None:
            raise _card_mismatch()
        _identify(application, card=card, user=user, client_ip=client_ip, today=today)
    elif step == "organization":
        _apply_organization(application, user=user, client_ip=client_ip, today=today)
    else:
        _apply_step3(application, stored, today=today)


def _apply_personal1(
    application: Application,
    stored: dict[str, Any],
    *,
    user: User,
    client_ip: str | None,
    today: dt.date | None,
) -> None:
    application.relationship = stored.get("relationship", "")
    application.applicant_name = stored["roman_name"][:100]
    application.applicant_birth_date = content_date(stored["birth_date"])
    application.kanji_name_requested = application.procedure_id in CARD_PROCEDURES and bool(
        stored.get("kanji_name_requested")
    )
    if application.procedure_id not in rules.CARD_HOLDER_PROCEDURES:
        _identify(application, card=None, user=user, client_ip=client_ip, today=today)


def _apply_organization(
    application: Application, *, user: User, client_ip: str | None, today: dt.date | None
) -> None:
    organization = _resolve_organization(application, user)
    refusals = _eligibility(
        application,
        user=user,
        card=application.applicant_card,
        organization=organization,
        client_ip=client_ip,
        organization_known=True,
        today=today,
    )
    if refusals:
        raise rules.refusals_as_error(refusals)
    application.organization = organization if organization and organization.pk else None
    if application.procedure_id == MainProcedure.COE:
        application.bureau = _bureau_for(application, organization)


def _apply_step3(application: Application, stored: dict[str, Any], *, today) -> None:
    application.applicant_email = stored["applicant_email"]
    refusal = rules.refuse_receipt_method(
        stored["receipt_method"],
        application.procedure_id,
        **rules.application_receipt_facts(application, today=today),
    )
    if refusal is not None:
        raise refusal.as_error()
    application.receipt_method = stored["receipt_method"]


def _apply_step1(application: Application, stored: dict[str, Any], *, user: User) -> None:
    procedure = stored.get("procedure") or application.procedure_id
    code = stored.get("status")
    status = Status.objects.filter(pk=code).first() if code else None
    found = [
        rules.refuse_procedure(
            procedure,
            reentry=stored.get("reentry", ""),
            other_activity=bool(stored.get("other_activity")),
        )
    ]
    if found[0] is None:
        found += [
            rules.refuse_category(user, procedure),
            rules.refuse_status(procedure, status=status),
        ]
    refusals = [r for r in found if r is not None]
    if refusals:
        raise rules.refusals_as_error(refusals)
    application.procedure_id = procedure
    application.status = status
    application.period_requested = stored.get("period_requested", "")
    application.reentry = stored.get("reentry", "")
    application.other_activity = bool(stored.get("other_activity"))


def _identify(
    application: Application,
    *,
    card: ResidenceCard | None,
    user: User,
    client_ip: str | None,
    today: dt.date | None,
) -> None:
    """The applicant is known (STEP2-2's card, or STEP2-1 for a COE / an acquisition): run the
    eligibility rules and set who it is, where it is filed and the A-5 key."""
    organization_known = "organization" in (application.steps_done or []) or (
        user.category == Category.ORGANIZATION_STAFF
    )
    organization = (
        _resolve_organization(application, user)
        if organization_known or application.organization_id
        else application.organization
    )
    refusals = _eligibility(
        application,
        user=user,
        card=card,
        organization=organization,
        client_ip=client_ip,
        organization_known=organization_known and rules.organization_step_applies(application),
        today=today,
    )
    if refusals:
        raise rules.refusals_as_error(refusals)
    application.applicant_card = card
    application.applicant_person = card.person if card is not None else None
    application.applicant_key = _applicant_key(application, card)
    if card is not None:
        application.applicant_name = card.roman_name[:100]
        application.applicant_birth_date = card.birth_date
    if application.procedure_id != MainProcedure.COE:
        application.bureau = _bureau_for(application, organization)
    # A foreign national's own card, proved by their My Number certificate: remember the
    # registry person on the account (later applications and A-5 know them at STEP1).
    if (
        card is not None
        and user.category == Category.FOREIGN_NATIONAL
        and user.person_id is None
        and application.filer_id == user.pk
    ):
        User.objects.filter(pk=user.pk, person__isnull=True).update(person=card.person)
        user.person = card.person
