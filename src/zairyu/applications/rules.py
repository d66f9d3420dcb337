"""Who may file what, and when (A-1, A-2, A-4, A-5, A-8): one function per rule.

Each ``refuse_*`` function returns ``None`` (no objection) or a ``Refusal`` whose message says
why and where to go instead (002 Q4-10: "最寄りの地方出入国在留管理官署において申請してください").
``check_eligibility`` runs every rule that applies and returns all refusals, in the order a user
should read them; ``receipt_methods_offered`` answers A-8.

Registry facts come from the card (``cards.ResidenceCard``): the end of the period of stay
(``stay_until``), the holder abroad on re-entry (``abroad_on_reentry``), the day of the latest
moving-in notification (``last_moving_in_on``), the period of stay (``period_of_stay_parts``)
and the kanji name. Who may file which procedure is reference data (``FilingPermission``,
REFERENCE.md §9) read through ``reference.selectors.filing_permission``. Every date is
``zairyu.core.clock.today()`` unless the caller passes ``today``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import ipaddress
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext as _

from zairyu.accounts.models import Category, IdentityCertificate, StaffAccount, StaffClient, User
from zairyu.accounts.service_a import fold_name
from zairyu.accounts.staff import months_before
from zairyu.cards import normalise
from zairyu.cards.models import Organization, ResidenceCard
from zairyu.core import clock
from zairyu.reference.models import FilingPermission, Procedure, Status
from zairyu.reference.selectors import filing_permission

from .models import (
    ADD_ON_PROCEDURES,
    CARD_PROCEDURES,
    LEGAL_REPRESENTATIVE_RELATIONSHIPS,
    RELATIVE_RELATIONSHIPS,
    Application,
    ApplicationState,
    MainProcedure,
    ReceiptMethod,
    Relationship,
)

Scope = FilingPermission.Scope

# accounts.Category (the user's category) → reference.UserCategory code (the §9 matrix rows).
CATEGORY_CODES: dict[str, str] = {
    Category.FOREIGN_NATIONAL: "foreign_national",
    Category.LEGAL_REPRESENTATIVE: "legal_representative",
    Category.RELATIVE: "relative",
    Category.LAWYER: "lawyer_gyoseishoshi",
    Category.ORGANIZATION_STAFF: "organization_staff",
    Category.PUBLIC_INTEREST_STAFF: "public_interest_corporation_staff",
    Category.RSO_STAFF: "rso_staff",
    Category.COE_RECIPIENT: "coe_e_delivery_recipient",
}

# Statuses that are "specified skilled worker matters" for RSO staff (002 Q3-13).
SSW_STATUSES = frozenset({"ssw_1", "ssw_2"})
# Acquisition of status (Art. 22-2): within 30 days of birth or the other event (002 Q4-11).
ACQUISITION_DAYS = 30
# The agency's extension window: from three months before expiry for stays of six months or
# more; shorter stays from about half the period (REFERENCE / SPEC A-4 [B]).
EXTENSION_MONTHS_BEFORE = 3
LONG_STAY_MONTHS = 6
# A-8 (002 Q5-1 (1)): a stay of 3 months or less is granted by a passport stamp, not a card.
PASSPORT_STAMP_MAX_DAYS = 90
# A-8 (002 Q5-1 (3)): the card's validity must be updated when the 16th birthday is this close.
CARD_UPDATE_MONTHS = 6
CARD_UPDATE_AGE = 16
MINOR_AGE = 18


@dataclass(frozen=True)
class Refusal:
    """Why an application (or a choice in it) is refused, and where to go instead.

    ``code`` is stable (tests and the API use it); ``message`` is in the active language;
    ``field`` is the form field it belongs to (NON_FIELD_ERRORS for the page); ``params`` carry
    what a page needs to help (e.g. ``application_id`` of the existing draft for A-5).
    """

    code: str
    message: str
    field: str = NON_FIELD_ERRORS
    params: dict = dataclasses.field(default_factory=dict)

    def as_error(self) -> ValidationError:
        return ValidationError(
            {self.field: [ValidationError(self.message, code=self.code, params=self.params)]}
        )


def refusals_as_error(refusals: list[Refusal]) -> ValidationError:
    """Return one ValidationError with every refusal under its field (for services/forms)."""
    errors: dict[str, list[ValidationError]] = {}
    for refusal in refusals:
        errors.setdefault(refusal.field, []).append(
            ValidationError(refusal.message, code=refusal.code, params=refusal.params)
        )
    return ValidationError(errors)


def _go_to_office() -> str:
    return _(
        "Apply at the counter of the regional immigration services bureau that covers "
        "the applicant's address."
    )


def _fold(name: str) -> str:
    """A name compared the way people read it; service A's commas between parts (002 Q4-21)
    count as spaces."""
    return fold_name((name or "").replace(",", " ").replace("，", " "))


def _code(value) -> str | None:
    if value is None:
        return None
    return str(getattr(value, "pk", value))


# --- dates -----------------------------------------------------------------------------------


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (earlier when negative); the month's last day if shorter."""
    return months_before(day, -months)


def add_years(day: dt.date, years: int) -> dt.date:
    """The same day ``years`` later; 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def age_on(birth_date: dt.date, on: dt.date) -> int:
    years = on.year - birth_date.year
    if (on.month, on.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years


def period_start(stay_until: dt.date, period: str) -> dt.date | None:
    """The first day of a period of stay of ``period`` (ISO 8601) ending on ``stay_until``."""
    parts = normalise.period_parts(period)
    if parts is None:
        return None
    years, months, days = parts
    return add_months(stay_until, -(years * 12 + months)) - dt.timedelta(days=days - 1)


def period_days(period: str) -> int | None:
    """The approximate length of a period in days (months of 30 days), None when unlimited."""
    parts = normalise.period_parts(period)
    if parts is None:
        return None
    years, months, days = parts
    return years * 365 + months * 30 + days


def extension_opens_on(card: ResidenceCard) -> dt.date | None:
    """The first day an extension may be filed online for the holder of ``card`` (A-4 [B]).

    Stays of six months or more: three months before the last day of the period. Shorter
    stays: from the middle of the period. None when the stay is unlimited (nothing to extend).
    """
    if card.stay_until is None:
        return None
    start = period_start(card.stay_until, card.period_of_stay)
    if start is None:
        return None
    long_stay_start = add_months(card.stay_until, -LONG_STAY_MONTHS) + dt.timedelta(days=1)
    if start <= long_stay_start:
        return add_months(card.stay_until, -EXTENSION_MONTHS_BEFORE)
    length = (card.stay_until - start).days + 1
    return start + dt.timedelta(days=length // 2)


def acquisition_last_day(event_date: dt.date) -> dt.date:
    """The last day to apply for acquisition: 30 days after birth or the event (Q4-11)."""
    return event_date + dt.timedelta(days=ACQUISITION_DAYS)


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


def category_code(user: User) -> str | None:
    """The §9 matrix row of ``user``'s category; None for categories outside service A."""
    return CATEGORY_CODES.get(user.category)


def refuse_category(user: User, procedure: Procedure | str) -> Refusal | None:
    """A-2 (REFERENCE.md §9): the user's category may file this procedure at all."""
    code = category_code(user)
    if code == CATEGORY_CODES[Category.COE_RECIPIENT]:
        return Refusal(
            "coe_recipient",
            _(
                "Your user ID only receives electronic Certificates of Eligibility applied for at "
                "a counter; it cannot file applications (002 Q1-1). Apply at the counter of a "
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
    elif scope == Scope.WARD:
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
    elif scope == Scope.RELATIVE:
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
    elif scope == Scope.ACCEPTED:
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
    elif scope in (Scope.COMMISSIONING, Scope.COMMISSIONING_SSW):
        if not is_commissioning(user, organization):
            return Refusal(
                "not_commissioned",
                _(
                    "You can apply only for people accepted by organizations that commissioned "
                    "you. Submit the organization's request (依頼書) and pledge to the bureau "
                    "that approved your request for use first (002 Q3-12)."
                ),
                field="organization",
            )
        if scope == Scope.COMMISSIONING_SSW and _code(status) not in SSW_STATUSES:
            return Refusal(
                "not_ssw",
                _(
                    "Staff of a registered support organization can apply only for specified "
                    "skilled workers (002 Q3-13). Ask the organization or a lawyer or gyoseishoshi "
                    "to apply, or apply at the counter of a regional immigration services bureau."
                ),
                field="status",
            )
    return None


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
            "come from an address in Japan (002 Q4-36). Connect from a network in Japan, or apply "
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


# --- receipt methods --------------------------------------------------------------------


def passport_stamp(
    *, status: Status | None, period: str = "", card: ResidenceCard | None = None
) -> bool:
    """Whether permission is given by a passport stamp instead of a card (002 Q5-1 (1), Q6-7):
    a status without a card (Official) or a period of stay of 3 months or less."""
    if status is not None and not status.card_issued:
        return True
    period = period or (card.period_of_stay if card is not None else "")
    days = period_days(period)
    return days is not None and days <= PASSPORT_STAMP_MAX_DAYS


def card_validity_update_due(birth_date: dt.date | None, *, today: dt.date) -> bool:
    """002 Q5-1 (3): the new card needs a validity update when the holder turns 16 within six
    months (judged from the filing date; the office re-checks at issuance)."""
    if birth_date is None:
        return False
    sixteenth = add_years(birth_date, CARD_UPDATE_AGE)
    return today < sixteenth <= add_months(today, CARD_UPDATE_MONTHS)


def refuse_post(
    procedure: Procedure | str,
    *,
    status: Status | None = None,
    period_requested: str = "",
    card: ResidenceCard | None = None,
    kanji_name_requested: bool = False,
    birth_date: dt.date | None = None,
    today: dt.date | None = None,
) -> Refusal | None:
    """A-8 (002 Q5-1, Q5-4, Q6-7): why a residence card cannot be received by post, or None.

    Post is not offered when a passport stamp replaces the card (Official, stay ≤ 3 months),
    when a kanji name is requested (unless the current card already has one), or when the
    card's validity must be updated (16th birthday within six months). Other-activity
    permission does not prevent post since 2024 (Q6-10). Only card procedures have exceptions.
    """
    if _code(procedure) not in CARD_PROCEDURES:
        return None
    today = today or clock.today()
    counter = _("Choose receipt at the counter of a regional immigration services bureau.")
    if passport_stamp(status=status, period=period_requested, card=card):
        return Refusal(
            "post_passport_stamp",
            _(
                "Permission will be given by a stamp in the passport, not a residence card, so it "
                "cannot be received by post. %(counter)s"
            )
            % {"counter": counter},
            field="receipt_method",
        )
    if kanji_name_requested and not (card is not None and card.kanji_name):
        return Refusal(
            "post_kanji_name",
            _(
                "A kanji name on the residence card is requested with a form handed in at the "
                "counter, so the card cannot be received by post. %(counter)s"
            )
            % {"counter": counter},
            field="receipt_method",
        )
    if card_validity_update_due(birth_date or (card.birth_date if card else None), today=today):
        return Refusal(
            "post_card_update",
            _(
                "The applicant turns 16 within six months, so the card's validity must be updated "
                "and the card cannot be received by post. %(counter)s"
            )
            % {"counter": counter},
            field="receipt_method",
        )
    return None


def receipt_methods_offered(
    procedure: Procedure | str,
    *,
    status: Status | None = None,
    period_requested: str = "",
    card: ResidenceCard | None = None,
    kanji_name_requested: bool = False,
    birth_date: dt.date | None = None,
    today: dt.date | None = None,
) -> list[str]:
    """A-8 (002 Q5-1): the receipt methods to offer, in display order.

    COE: e-mail or post. Residence card (change, extension, acquisition): post (unless
    ``refuse_post``) or counter. Work certificate: post or counter.
    """
    code = _code(procedure)
    if code == MainProcedure.COE:
        return [ReceiptMethod.EMAIL, ReceiptMethod.POST]
    if code == MainProcedure.WORK_CERTIFICATE:
        return [ReceiptMethod.POST, ReceiptMethod.COUNTER]
    if code not in CARD_PROCEDURES:
        return []
    post = refuse_post(
        code,
        status=status,
        period_requested=period_requested,
        card=card,
        kanji_name_requested=kanji_name_requested,
        birth_date=birth_date,
        today=today,
    )
    return [ReceiptMethod.COUNTER] if post else [ReceiptMethod.POST, ReceiptMethod.COUNTER]


def refuse_receipt_method(
    method: str,
    procedure: Procedure | str,
    **facts,
) -> Refusal | None:
    """A-8: ``method`` is one of ``receipt_methods_offered(procedure, **facts)``; the refusal
    says why post is not offered when that is the reason."""
    if method in receipt_methods_offered(procedure, **facts):
        return None
    if method == ReceiptMethod.POST:
        post = refuse_post(procedure, **facts)
        if post is not None:
            return post
    return Refusal(
        "receipt_method_not_offered",
        _("Choose one of the receipt methods offered for this procedure."),
        field="receipt_method",
    )


def application_receipt_facts(application: Application, *, today: dt.date | None = None) -> dict:
    """The facts ``receipt_methods_offered`` needs, read from an application."""
    return {
        "status": application.status,
        "period_requested": application.period_requested,
        "card": application.applicant_card,
        "kanji_name_requested": application.kanji_name_requested,
        "birth_date": application.applicant_birth_date,
        "today": today,
    }


# --- re-checked by the office at the decision and at issuance ----------------------


def office_receipt_methods(procedure: Procedure | str, **facts) -> list[str]:
    """The receipt methods the office may set on request (BO-5): those offered to the filer,
    and for a COE also the counter, which the office arranges on consultation (002 Q7-1:
    "窓口で受領を希望される場合は、申請を受け付けた地方出入国在留管理官署にご相談ください")."""
    methods = receipt_methods_offered(procedure, **facts)
    if _code(procedure) == MainProcedure.COE and ReceiptMethod.COUNTER not in methods:
        methods = [*methods, ReceiptMethod.COUNTER]
    return methods


def refuse_office_receipt_method(method: str, procedure: Procedure | str, **facts):
    """``refuse_receipt_method`` for the office (``office_receipt_methods``)."""
    if method in office_receipt_methods(procedure, **facts):
        return None
    return refuse_receipt_method(method, procedure, **facts)


def refuse_post_on(application: Application, *, today: dt.date | None = None) -> Refusal | None:
    """002 Q5-1: whether a card can still go by post on ``today`` (the decision or the issuance):
    the period *granted* decides the passport stamp ("3月以下の在留期間が決定された方"), and the
    16th birthday counts from the new card's issue ("新しい在留カードの交付時点で16歳の誕生日まで
    6か月以内"), so a choice that was right at filing can become impossible later."""
    facts = application_receipt_facts(application, today=today)
    facts["period_requested"] = application.period_granted or application.period_requested
    return refuse_post(application.procedure_id, **facts)


def refuse_receipt_while_abroad(application: Application) -> Refusal | None:
    """002 Q4-18, Q6-3, Q7-3: no card or certificate is handed over or sent while the applicant
    is abroad (the registry's latest card of the applicant says so)."""
    card = application.applicant_card
    if card is None:
        return None
    latest = (
        ResidenceCard.objects.filter(person_id=card.person_id, state=ResidenceCard.State.VALID)
        .order_by("-issued_on", "-id")
        .first()
    ) or card
    if latest.abroad_on_reentry:
        return Refusal(
            "applicant_abroad",
            _(
                "The registry records the applicant as abroad on a re-entry permit. The residence "
                "card or certificate cannot be received while the applicant is outside Japan "
                "(002 Q4-18, Q6-3, Q7-3); record the issuance after the return."
            ),
        )
    return None
