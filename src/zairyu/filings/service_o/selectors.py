"""Reads for service O: who files, history lists, access by id (SEC-1), the officers' queue."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Q, QuerySet
from django.http import Http404

from zairyu.accounts.officers import filings_in_jurisdiction, is_officer
from zairyu.cards.models import Organization

from . import rules
from .models import OFiling, OFilingState

_RELATED = ("kind", "filer", "organization", "bureau")
# The search by organization names up to this many organizations by their ids (issue 17).
ORGANIZATIONS_NAMED = 50


def organization_of(user) -> Organization | None:
    """The organization a service-O account files for, or None (not a service-O filer).

    An organization account registered for service O (ID-2), whose link is active and whose
    organization is an SSW organization, a registered support organization or a JLI.
    """
    if not rules.uses_service_o(user):
        return None
    try:
        link = user.organization_account
    except ObjectDoesNotExist:
        return None
    if not link.active or rules.filer_kind(link.organization) is None:
        return None
    return link.organization


def ofilings_of_organization(organization: Organization) -> QuerySet[OFiling]:
    return OFiling.objects.select_related(*_RELATED).filter(organization=organization)


def ofilings_visible_to(user) -> QuerySet[OFiling]:
    """Every service-O filing ``user`` may see (SEC-1): an organization its own; an officer
    those of the bureaus in their jurisdiction (BO-1); anybody else none."""
    filings = OFiling.objects.select_related(*_RELATED)
    if user is None or not user.is_authenticated:
        return filings.none()
    organization = organization_of(user)
    if organization is not None:
        return filings.filter(organization=organization)
    if is_officer(user, "view"):
        return filings_in_jurisdiction(user, filings)
    return filings.none()


def access_ofiling_by_id(user, filing_id: int) -> OFiling:
    """Return the filing if ``user`` may see it; the same 404 for missing and forbidden."""
    filing = ofilings_visible_to(user).filter(pk=filing_id).first()
    if filing is None:
        raise Http404
    return filing


def ofiling_for_token(user, token) -> OFiling | None:
    """The filing ``user`` already submitted from the form with ``token``, if any."""
    return OFiling.objects.filter(token=token, filer=user).first()


def pending_queue(filings: QuerySet[OFiling]) -> QuerySet[OFiling]:
    """BO-4: filings waiting for the bureau (処理待ち), oldest first."""
    return filings.filter(state=OFilingState.PENDING).order_by("filed_at", "id")


@dataclass(frozen=True)
class OFilingSearch:
    """Officer search criteria (BO-4)."""

    number: str = ""
    organization: str = ""
    kind: str = ""
    state: str = ""
    filed_from: dt.date | None = None
    filed_to: dt.date | None = None


def number_pk(number: str) -> int | None:
    """The id in a filing number ("O0000000123", "123"), or None."""
    text = (number or "").strip().upper().removeprefix("O")
    return int(text) if text.isdigit() else None


def ofiling_search(filings: QuerySet[OFiling], criteria: OFilingSearch) -> QuerySet[OFiling]:
    """Filter ``filings`` (already scoped to the officer) by the criteria; none given: none.

    Newest first. Searched by kind, state or dates, sorted by the filing date first (the same
    order: ``filed_on`` is the Japanese date of ``filed_at``), as the search indexes give it
    (``OFiling.Meta.indexes``); otherwise by time, as an organization's filings are indexed.
    The organization is found first (its name, corporate or registration number, each
    indexed) and its filings through their index: an OR over the joined organization made
    PostgreSQL read every filing (issue 17).
    """
    query = filings
    given = False
    if criteria.number:
        given = True
        pk = number_pk(criteria.number)
        query = query.filter(pk=pk) if pk is not None else query.none()
    if criteria.organization:
        given = True
        text = criteria.organization.strip()
        organizations = Organization.objects.filter(
            Q(name__icontains=text) | Q(corporate_number=text) | Q(rso_registration_number=text)
        )
        # Usually one organization (or a few): named by their ids, the planner reads each
        # one's filings in order along its index (a page of a large organization's 60,000
        # filings reads 25) instead of sorting them all.
        found = list(organizations.values_list("pk", flat=True)[: ORGANIZATIONS_NAMED + 1])
        named = len(found) <= ORGANIZATIONS_NAMED
        query = query.filter(organization__in=found if named else organizations.values("pk"))
    if criteria.kind:
        given = True
        query = query.filter(kind_id=criteria.kind)
    if criteria.state:
        given = True
        query = query.filter(state=criteria.state)
    if criteria.filed_from:
        given = True
        query = query.filter(filed_on__gte=criteria.filed_from)
    if criteria.filed_to:
        given = True
        query = query.filter(filed_on__lte=criteria.filed_to)
    if not given:
        return query.none()
    if criteria.kind or criteria.state or criteria.filed_from or criteria.filed_to:
        return query.order_by("-filed_on", "-filed_at", "-id")
    return query.order_by("-filed_at", "-id")
