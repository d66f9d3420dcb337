"""The steps of an application (A-3, A-7 [B]; 002 Q4-6, Q4-16, Q5-11): which apply to which
application, what each asks and what it requires; and whether a face photo is asked.

Every page, the services and the bulk upload ask these: a step or a photo that does not apply
is never asked.
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _lazy

from zairyu.accounts.models import Category
from zairyu.core import clock
from zairyu.core.days import age_on

from ..models import CARD_PROCEDURES, Application, MainProcedure

# --- the steps: what each asks, when it applies ----------------------------------------

STEPS = ("step1", "personal1", "personal2", "organization", "step3")

# The fields each step stores in ``content[step]`` (anything else a caller sends is ignored).
STEP_FIELDS: dict[str, tuple[str, ...]] = {
    "step1": ("procedure", "status", "period_requested", "reentry", "other_activity"),
    # STEP2-1: who the applicant is (as printed on the card / passport) and where they live.
    "personal1": (
        "nationality",
        "roman_name",
        "sex",
        "birth_date",
        "prefecture",
        "municipality",
        "address",
        "kanji_name",
        "relationship",
        "event_date",
        "kanji_name_requested",
        "phone",
        "passport_number",
    ),
    # STEP2-2: the residence card (card holders only: change, extension, work certificate).
    "personal2": ("card_number", "card_valid_until"),
    # STEP2-3: the organization (COE, staff, and statuses tied to an organization, 002 Q5-11).
    "organization": (
        "organization_name",
        "corporate_number",
        "organization_prefecture",
        "organization_municipality",
        "organization_address",
        "organization_phone",
    ),
    # STEP3: receipt, notification address (documents and photo have their own services).
    "step3": ("applicant_email", "receipt_method"),
}

# Holders of a residence card apply for these (STEP2-2 asks the card); a COE applicant is
# abroad and an acquisition applicant (born in Japan, lost Japanese nationality) has none.
CARD_HOLDER_PROCEDURES = frozenset(
    {MainProcedure.CHANGE_OF_STATUS, MainProcedure.EXTENSION, MainProcedure.WORK_CERTIFICATE}
)
# A-7 (002 Q4-6, Q4-7, Q8-2): a photo for a residence card and for the (paper) COE; a work
# certificate has none. Under 16 no photo (cards of holders under 16 carry none).
PHOTO_PROCEDURES = frozenset({MainProcedure.COE, *CARD_PROCEDURES})
PHOTO_MIN_AGE = 16
STAFF_CATEGORIES = frozenset(
    {Category.ORGANIZATION_STAFF, Category.PUBLIC_INTEREST_STAFF, Category.RSO_STAFF}
)
REPRESENTATIVE_CATEGORIES = frozenset({Category.LEGAL_REPRESENTATIVE, Category.RELATIVE})
# 002 Q5-11: statuses whose application includes the organization's part (別記第19号様式).
ORGANIZATION_STATUSES = frozenset(
    {
        "professor",
        "artist",
        "religious_activities",
        "journalist",
        "hsp_1a",
        "hsp_1b",
        "hsp_1c",
        "hsp_2",
        "business_manager",
        "legal_accounting_services",
        "medical_services",
        "researcher",
        "instructor",
        "engineer_humanities_international",
        "intra_company_transferee",
        "intra_company_transferee_2",
        "nursing_care",
        "entertainer",
        "skilled_labor",
        "ssw_1",
        "ssw_2",
        "technical_intern_1a",
        "technical_intern_1b",
        "technical_intern_2a",
        "technical_intern_2b",
        "technical_intern_3a",
        "technical_intern_3b",
        "employment_skill_development",
        "cultural_activities",
        "student",
        "trainee",
        "dependent",
    }
)
# 002 Q5-11 names the COE, the extension and the change of status (not the acquisition).
ORGANIZATION_FORM_PROCEDURES = frozenset(
    {MainProcedure.COE, MainProcedure.EXTENSION, MainProcedure.CHANGE_OF_STATUS}
)
# Refusals about the organization wait until STEP2-3 has been entered.
ORGANIZATION_REFUSALS = frozenset({"not_own_organization", "not_commissioned"})


def organization_step_applies(application: Application) -> bool:
    """Whether STEP2-3 (organization data) is asked (A-3 [B]: only where it applies).

    Never for a foreign national applying themselves: they attach the organization's part of
    the form (別記第19号様式) as a document instead (002 Q5-11). Always for a COE (the office is
    the organization's, 002 Q4-16) and for staff (A-2: their organization or client). For the
    other filers, for a change, extension or acquisition to a status tied to an organization.
    """
    if application.filer.category == Category.FOREIGN_NATIONAL:
        return False
    if application.procedure_id == MainProcedure.COE:
        return True
    if application.filer.category in STAFF_CATEGORIES:
        return True
    return (
        application.procedure_id in CARD_PROCEDURES
        and application.status_id in ORGANIZATION_STATUSES
    )


def steps_for(application: Application) -> tuple[str, ...]:
    """The steps of ``application`` in order (A-3): STEP2-2 only for card holders, STEP2-3
    only where ``organization_step_applies``."""
    steps = ["step1", "personal1"]
    if application.procedure_id in CARD_HOLDER_PROCEDURES:
        steps.append("personal2")
    if organization_step_applies(application):
        steps.append("organization")
    steps.append("step3")
    return tuple(steps)


def organization_form_required(application: Application) -> bool:
    """002 Q5-11: a foreign national applying themselves for a status tied to an organization
    attaches the organization's part of the form (別記第19号様式) with the documents (the page
    says so; a PDF may hold several documents, so submission does not refuse without one)."""
    return (
        application.filer.category == Category.FOREIGN_NATIONAL
        and application.procedure_id in ORGANIZATION_FORM_PROCEDURES
        and application.status_id in ORGANIZATION_STATUSES
    )


def photo_needed(application: Application, *, today: dt.date | None = None) -> bool:
    """A-7 [B]: a photo is asked only for a residence card or a COE, and not for an applicant
    under 16 (judged on ``today``; unknown birth date: asked)."""
    if application.procedure_id not in PHOTO_PROCEDURES:
        return False
    birth_date = application.applicant_birth_date
    if birth_date is not None:
        return age_on(birth_date, today or clock.today()) >= PHOTO_MIN_AGE
    return True


def required_fields(application: Application, step: str) -> tuple[str, ...]:
    """The fields of ``step`` that must be filled in for ``application`` (only those that
    apply: a COE applicant lives abroad, representatives say how they are related)."""
    procedure = application.procedure_id
    if step == "step1":
        return ("procedure",) + (() if procedure == MainProcedure.WORK_CERTIFICATE else ("status",))
    if step == "personal1":
        fields = ["nationality", "roman_name", "sex", "birth_date"]
        if procedure != MainProcedure.COE:  # a COE applicant lives abroad
            fields += ["prefecture", "municipality"]
        if application.filer.category in REPRESENTATIVE_CATEGORIES:
            fields.append("relationship")
        return tuple(fields)
    if step == "personal2":
        return ("card_number", "card_valid_until")
    if step == "organization":
        return ("organization_name", "organization_prefecture")
    return ("applicant_email", "receipt_method")


# A changed step sends the steps that depend on it back to be checked again.
DEPENDENT_STEPS = {"step1": STEPS[1:], "personal1": ("personal2", "organization")}

STEP_NAMES = {
    "step1": _lazy("STEP1 procedure and status"),
    "personal1": _lazy("STEP2-1 personal data 1"),
    "personal2": _lazy("STEP2-2 personal data 2"),
    "organization": _lazy("STEP2-3 organization data"),
    "step3": _lazy("STEP3 attachments and receipt"),
}
