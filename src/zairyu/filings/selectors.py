"""Reads for service N: who the user is to the filings, history lists, access by id (SEC-1)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import QuerySet
from django.http import Http404

from zairyu.accounts import rules
from zairyu.accounts.models import AccountState, Category, User
from zairyu.accounts.officers import is_officer, officer_bureaus
from zairyu.cards.models import Organization, ResidenceCard
from zairyu.cards.selectors import person_current_card
from zairyu.core import clock, crypto

from .models import Filing, FilingState

_RELATED = (
    "event",
    "filer",
    "organization",
    "resident_account",
    "bureau",
    "card",
)


def organization_of(user) -> Organization | None:
    """Return the organization an organization account files for, or None.

    The link is ``accounts.OrganizationAccount`` (ID-2); only an account that uses service N and
    whose link is active files here.
    """
    if user is None or not user.is_authenticated or user.category != Category.ORGANIZATION:
        return None
    if not user.uses_service_n:
        return None
    try:
        link = user.organization_account
    except ObjectDoesNotExist:
        return None
    return link.organization if link.active else None


def resident_card(user) -> ResidenceCard | None:
    """Return the current card of a resident account's person (the registry's data), or None."""
    if user is None or user.category != Category.RESIDENT or user.person_id is None:
        return None
    return person_current_card(
        user.person_id, "status", "nationality", "prefecture", "municipality"
    )


def filings_visible_to(user) -> QuerySet[Filing]:
    """Every filing ``user`` may see (SEC-1).

    A resident: their own notifications, also those an organization filed for them (NF-4). An
    organization: those it filed (for its residents or under Art. 19-17). An officer: those of
    the bureaus in their jurisdiction (BO-1). Anybody else: none.
    """
    filings = Filing.objects.select_related(*_RELATED)
    if user is None or not user.is_authenticated:
        return filings.none()
    if user.category == Category.RESIDENT:
        return filings.filter(resident_account=user)
    if user.category == Category.ORGANIZATION:
        organization = organization_of(user)
        if organization is None:
            return filings.none()
        return filings.filter(organization=organization)
    if is_officer(user, "view"):
        bureaus = officer_bureaus(user)
        return filings if bureaus is None else filings.filter(bureau_id__in=bureaus)
    return filings.none()


def access_filing_by_id(user, filing_id: int) -> Filing:
    """Return the filing if ``user`` may see it; the same 404 for missing and forbidden."""
    filing = filings_visible_to(user).filter(pk=filing_id).first()
    if filing is None:
        raise Http404
    return filing


def filing_for_token(user, token) -> Filing | None:
    """Return the filing ``user`` already submitted from the form with ``token``, if any."""
    return Filing.objects.filter(token=token, filer=user).first()


def registered_resident_accounts(person_id: int):
    """The person's resident accounts that can still use the system (NF-4: "registered")."""
    return registered_resident_accounts_many([person_id])[person_id]


def registered_resident_accounts_many(person_ids) -> dict[int, list[User]]:
    """``registered_resident_accounts`` for many persons in one query (bulk filing, 001 Q78):
    {person id: accounts}, an empty list for a person with none."""
    today = clock.today()
    found: dict[int, list[User]] = {person_id: [] for person_id in person_ids}
    if not found:
        return found
    for account in User.objects.filter(
        person_id__in=list(found), category=Category.RESIDENT, state=AccountState.ACTIVE
    ).order_by("pk"):
        valid_until = rules.auth_id_valid_until(account)
        if valid_until is None or valid_until >= today:
            found[account.person_id].append(account)
    return found


def accepted_students(organization: Organization) -> list[dict]:
    """Return the students a school reported as accepted and not yet ended (roster prefill).

    Read from the school's registered Art. 19-17 filings: the latest start without a later end,
    per card number.
    """
    latest: dict[str, tuple[dt.datetime, str, dict]] = {}
    rows = (
        Filing.objects.filter(
            organization=organization,
            state=FilingState.REGISTERED,
            event__article="19-17",
            event__organization_kind="school",
            event__periodic_dates="",
        )
        .select_related("event")
        .order_by("filed_at", "id")
    )
    for filing in rows:
        resident = filing.content.get("resident") or {}
        number = resident.get("card_number")
        if not number:
            continue
        kind = "end" if "end_date" in filing.content.get("items", {}) else "start"
        latest[number] = (filing.filed_at, kind, resident)
    return [resident for _, kind, resident in latest.values() if kind == "start"]


@dataclass(frozen=True)
class FilingSearch:
    """Officer search criteria (BO-4)."""

    number: str = ""
    card_number: str = ""
    state: str = ""
    event: str = ""
    filed_from: dt.date | None = None
    filed_to: dt.date | None = None


def filing_number_pk(number: str) -> int | None:
    """Return the id in a filing number ("N0000000123", "123"), or None."""
    text = (number or "").strip().upper().removeprefix("N")
    return int(text) if text.isdigit() else None


def filing_search(filings: QuerySet[Filing], criteria: FilingSearch) -> QuerySet[Filing]:
    """Filter ``filings`` (already scoped to the officer) by the criteria; none: nothing.

    Newest first, as ``Filing.Meta.ordering``, but sorted by the filing date first: the same
    order (``filed_on`` is the Japanese date of ``filed_at``), which the search indexes
    (``Filing.Meta.indexes``: by notification, by state, by bureau, by date, each continued by
    filing date and time) give as they are read, so a page reads 25 rows whatever the volume
    (issue 17).
    """
    query = filings
    given = False
    if criteria.number:
        given = True
        pk = filing_number_pk(criteria.number)
        query = query.filter(pk=pk) if pk is not None else query.none()
    if criteria.card_number:
        given = True
        # SEC-3: numbers are encrypted. Every filing about one resident keeps the blind index
        # of the card number in its content, which is the matched card's number (the snapshot
        # copies it from the registry), so this one indexed column finds them all; an OR with
        # the card's own index made PostgreSQL scan every filing (issue 17).
        indexes = crypto.blind_indexes("card-number", criteria.card_number.strip().upper())
        query = query.filter(card_number_index__in=indexes)
    if criteria.state:
        given = True
        query = query.filter(state=criteria.state)
    if criteria.event:
        given = True
        query = query.filter(event_id=criteria.event)
    if criteria.filed_from:
        given = True
        query = query.filter(filed_on__gte=criteria.filed_from)
    if criteria.filed_to:
        given = True
        query = query.filter(filed_on__lte=criteria.filed_to)
    if not given:
        return query.none()
    return query.order_by("-filed_on", "-filed_at", "-id")


def error_queue(filings: QuerySet[Filing]) -> QuerySet[Filing]:
    """Registration errors no officer has reviewed yet, oldest first (BO-4)."""
    return filings.filter(state=FilingState.ERROR, reviewed_at__isnull=True).order_by(
        "state_changed_at", "id"
    )
