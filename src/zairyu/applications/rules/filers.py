"""Who may file what, and for whom (A-1, A-2; REFERENCE.md §9; 002 Q1-1, Q1-4, Q1-5, Q2-12,
Q3-11, Q3-13): one function per rule, each returning ``None`` or a ``Refusal``.

Who may file which procedure is reference data (``FilingPermission``, REFERENCE.md §9) read
through ``reference.selectors.filing_permission``.
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from zairyu.accounts.models import Category, IdentityCertificate, StaffAccount, StaffClient, User
from zairyu.accounts.service_a import fold_name
from zairyu.cards.models import Organization, ResidenceCard
from zairyu.core import clock
from zairyu.core.days import age_on
from zairyu.reference.models import FilingPermission, Procedure, Status
from zairyu.reference.selectors import filing_permission

from ..models import (
    ADD_ON_PROCEDURES,
    LEGAL_REPRESENTATIVE_RELATIONSHIPS,
    RELATIVE_RELATIONSHIPS,
    MainProcedure,
    Relationship,
)
from .base import CATEGORY_CODES, Refusal, _code, _fold, _go_to_office, category_code

Scope = FilingPermission.Scope

# Statuses that are "specified skilled worker matters" for RSO staff (002 Q3-13).
SSW_STATUSES = frozenset({"ssw_1", "ssw_2"})
MINOR_AGE = 18


# --- who the applicant is (A-5) --------------------------------------------------------------


def applicant_key(
    *,
    card: ResidenceCard | None = None,
    person=None,
    nationality: str = "",
    birth_date: dt.date | None = None,
    name: str = "",
) -> str:
    """Return what identifies the applicant for "one open application" (A-5).

    A card holder is their registry person ("person:<id>", the same across renewals); a COE or
    acquisition applicant without a card is nationality, birth date and folded name. Empty when
    too little is known yet (STEP1 of a COE): the rule then waits for STEP2.
    """
    person_id = _code(person) or (card.person_id if card is not None else None)
    if person_id:
        return f"person:{person_id}"
    if nationality and birth_date and name.strip():
        return f"coe:{nationality.upper()}:{birth_date.isoformat()}:{_fold(name)}"[:200]
    return ""


_applicant_key = applicant_key  # check_eligibility's argument of the same name hides it


# --- procedures -------------------------------------------------------------------------


def refuse_procedure(
    procedure: Procedure | str, *, reentry: str = "", other_activity: bool = False
) -> Refusal | None:
    """A-1 (002 Q1-4, Q1-5): only the five main procedures; re-entry permits and other-activity
    permission only together with a change, an extension or an acquisition."""
    code = _code(procedure)
    if code not in MainProcedure.values:
        return Refusal(
            "procedure_not_online",
            _(
                "This procedure cannot be filed online (permanent residence and residence card "
                "procedures are filed at the counter). %(where)s"
            )
            % {"where": _go_to_office()},
            field="procedure",
        )
    if (reentry or other_activity) and code not in ADD_ON_PROCEDURES:
        return Refusal(
            "add_on_not_allowed",
            _(
                "A re-entry permit or permission for other activity can be applied for online "
                "only together with a change of status, an extension of the period of stay or an "
                "acquisition of status. Apply for it alone at the counter of a regional "
                "immigration services bureau."
            ),
            field="reentry" if reentry else "other_activity",
        )
    return None


# --- who may file what for whom ---------------------------------------------------------


def refuse_category(user: User, procedure: Procedure | str) -> Refusal | None:
    """A-2 (REFERENCE.md §9): the user's category may file this procedure at all."""
    code = category_code(user)
    if code == CATEGORY_CODES[Category.COE_RECIPIENT]:
        return Refusal(
            "coe_recipient",
            _(
                "Your user ID only receives electronic Certificates of Eligibility applied for at "
                "a counter; it cannot file applications. Apply at the counter of a "
                "regional immigration services bureau, or register as a user who may file."
            ),
            field="procedure",
        )
    if code is None or not (cell := filing_permission(code, _code(procedure))) or not cell.allowed:
        return Refusal(
            "category_not_permitted",
            _(
                "Users of your category cannot file this procedure online. It can be filed by "
                "the applicant's legal representative, a relative, the organization or a lawyer "
                "or gyoseishoshi, or at the counter of a regional immigration services bureau."
            ),
            field="procedure",
        )
    return None


def _is_self(user: User, *, card: ResidenceCard | None, name: str, birth_date) -> bool:
    """Whether the applicant is the user: the registry person of their account, or the person
    the My Number certificate names (name, birth date and, with a card, sex)."""
    if card is not None and user.person_id:
        return card.person_id == user.person_id
    certificate = IdentityCertificate.objects.filter(user=user, current=True).first()
    if certificate is None:
        return False
    if card is not None:
        return (
            certificate.holder_birth_date == card.birth_date
            and certificate.holder_sex in (card.sex, "U")
            and _fold(certificate.holder_name) == _fold(card.roman_name)
        )
    return (
        birth_date is not None
        and certificate.holder_birth_date == birth_date
        and _fold(certificate.holder_name) == _fold(name)
    )


def staff_organization(user: User) -> Organization | None:
    """The organization a staff user works for (ID-5), or None."""
    account = StaffAccount.objects.select_related("organization").filter(user=user).first()
    return account.organization if account is not None else None


def is_commissioning(user: User, organization: Organization | None) -> bool:
    """Whether ``organization`` commissioned the public-interest / RSO staff user (Q3-11)."""
    if organization is None:
        return False
    clients = StaffClient.objects.filter(account__user=user, removed_at__isnull=True)
    for client in clients:
        if client.corporate_number and organization.corporate_number:
            if client.corporate_number == organization.corporate_number:
                return True
        elif fold_name(client.name) == fold_name(organization.name):
            return True
    return False


def _refuse_ward(relationship: str, birth_date: dt.date | None, today: dt.date) -> Refusal | None:
    """A legal representative: a minor (parental authority, guardian of a minor) or an adult
    ward (guardian of an adult ward)."""
    if relationship not in LEGAL_REPRESENTATIVE_RELATIONSHIPS:
        return Refusal(
            "relationship_required",
            _(
                "Choose how you represent the applicant (parental authority, guardian of a "
                "minor or guardian of an adult ward)."
            ),
            field="relationship",
        )
    minor = birth_date is not None and age_on(birth_date, today) < MINOR_AGE
    if relationship != Relationship.ADULT_GUARDIAN and not minor:
        return Refusal(
            "not_a_minor",
            _(
                "The applicant is not a minor, so a person with parental authority or a "
                "guardian of a minor cannot apply for them. The applicant can apply "
                "themselves, or at the counter of a regional immigration services bureau."
            ),
            field="relationship",
        )
    return None


def _refuse_relative(relationship: str) -> Refusal | None:
    """A relative: a spouse, child, father or mother, as declared."""
    if relationship not in RELATIVE_RELATIONSHIPS:
        return Refusal(
            "relationship_required",
            _(
                "Choose what the applicant is to you (spouse, child, father or mother). Other "
                "relatives cannot apply online; the applicant can apply at the counter of a "
                "regional immigration services bureau."
            ),
            field="relationship",
        )
    return None


def _refuse_accepted(user: User, organization: Organization | None) -> Refusal | None:
    """Organization staff: people their own organization accepts or will accept."""
    own = staff_organization(user)
    if own is None or organization is None or organization.pk != own.pk:
        return Refusal(
            "not_own_organization",
            _(
                "Staff can apply only for people their own organization accepts or will "
                "accept. Name your organization in the organization data, or ask the "
                "applicant's organization or a lawyer or gyoseishoshi to apply."
            ),
            field="organization",
        )
    return None


def _refuse_commissioning(
    user: User, organization: Organization | None, *, ssw_only: bool, status
) -> Refusal | None:
    """Public-interest staff: people accepted by organizations that commissioned them; RSO
    staff: only the specified skilled workers of those organizations."""
    if not is_commissioning(user, organization):
        return Refusal(
            "not_commissioned",
            _(
                "You can apply only for people accepted by organizations that commissioned "
                "you. Submit the organization's request (依頼書) and pledge to the bureau "
                "that approved your request for use first."
            ),
            field="organization",
        )
    if ssw_only and _code(status) not in SSW_STATUSES:
        return Refusal(
            "not_ssw",
            _(
                "Staff of a registered support organization can apply only for specified "
                "skilled workers. Ask the organization or a lawyer or gyoseishoshi "
                "to apply, or apply at the counter of a regional immigration services bureau."
            ),
            field="status",
        )
    return None


def refuse_relation(
    user: User,
    procedure: Procedure | str,
    *,
    card: ResidenceCard | None = None,
    applicant_name: str = "",
    applicant_birth_date: dt.date | None = None,
    organization: Organization | None = None,
    relationship: str = "",
    status: Status | str | None = None,
    today: dt.date | None = None,
) -> Refusal | None:
    """A-2 (REFERENCE.md §9, 002 Q1-1, Q2-12, Q3-11, Q3-13): the user may file for this
    applicant. Assumes ``refuse_category`` passed (returns None when the cell is missing).

    - foreign national: only themselves;
    - legal representative: a minor (parental authority, guardian of a minor) or an adult ward;
    - relative: a spouse, child, father or mother, as declared;
    - lawyer / gyoseishoshi: any client;
    - organization staff: people their organization accepts or will accept (the application
      names their organization);
    - public-interest staff: people accepted by organizations that commissioned them;
    - RSO staff: specified skilled workers of organizations that commissioned them.
    """
    cell = filing_permission(category_code(user) or "", _code(procedure))
    if cell is None or not cell.allowed:
        return None
    today = today or clock.today()
    birth_date = card.birth_date if card is not None else applicant_birth_date
    scope = cell.scope
    if scope == Scope.SELF:
        if not _is_self(user, card=card, name=applicant_name, birth_date=birth_date):
            return Refusal(
                "not_self",
                _(
                    "As a foreign national you can apply only for yourself, and the residence card "
                    "entered is not yours. To apply for someone else, register as their legal "
                    "representative or relative, or ask their organization or a lawyer or "
                    "gyoseishoshi."
                ),
            )
        return None
    if scope == Scope.WARD:
        return _refuse_ward(relationship, birth_date, today)
    if scope == Scope.RELATIVE:
        return _refuse_relative(relationship)
    if scope == Scope.ACCEPTED:
        return _refuse_accepted(user, organization)
    if scope in (Scope.COMMISSIONING, Scope.COMMISSIONING_SSW):
        return _refuse_commissioning(
            user, organization, ssw_only=scope == Scope.COMMISSIONING_SSW, status=status
        )
    return None
