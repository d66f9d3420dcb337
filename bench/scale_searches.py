"""The officer searches and filer lists of issue 17, as the views build them, with realistic
random criteria drawn from the database (``bench_scale.py`` times them; the EXPLAIN tests in
``tests/backoffice/test_search_plans.py`` check their plans).

Each search is a function ``(samples, rng) -> QuerySet``: the queryset the page paginates (its
``count()`` and its first page of 25 are what ``evaluate`` runs, as ``Paginator.get_page``
does). ``BEFORE`` holds the query shapes as they were before issue 17, for the same criteria,
and ``NEW_INDEXES`` the indexes issue 17 added: ``bench_scale.py --before`` drops them inside a
transaction it rolls back and times the old shapes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from collections.abc import Callable

PAGE_SIZE = 25
SAMPLE = 400  # rows sampled per table for the criteria

# The indexes issue 17 added (migrations cards 0006, accounts 0008, applications 0005, filings
# 0006).
NEW_INDEXES = (
    "filings_search_idx",
    "filings_state_idx",
    "filings_filed_idx",
    "filings_card_number_idx",
    "ofilings_search_idx",
    "ofilings_state_idx",
    "ofilings_filed_idx",
    "cards_org_rso_number_idx",
    "cards_org_name_trgm",
    "cards_org_name_en_trgm",
    "cards_kanji_name_trgm",
    "accounts_user_display_name_trgm",
    "accounts_user_first_name_trgm",
    "accounts_user_last_name_trgm",
    "accounts_user_email_trgm",
    "applications_receipt_number_trgm",
    "applications_provisional_number_trgm",
    "applications_applicant_name_trgm",
)
# Filing states an officer searches for, with how often (registration errors and withdrawals
# more than their share).
FILING_STATES = (("registered", 6), ("error", 3), ("withdrawn", 1))
OFILING_STATES = (("completed", 5), ("pending", 4), ("withdrawn", 1))


@dataclasses.dataclass
class Samples:
    """What the criteria are drawn from: rows sampled at random ids, the officers, the day."""

    today: dt.date
    hq: object  # the headquarters officer
    bureau_officers: list
    filings: list  # (card number, filing id, resident account id, organization id)
    ofilings: list  # (organization id, corporate number, name)
    applications: list  # (receipt number, applicant name, filer id)
    cards: list  # (number, roman name)
    accounts: list  # (username, display name, e-mail)
    events: list[str]
    kinds: list[str]


def _random_ids(model, rng: random.Random, count: int) -> list[int]:
    from django.db.models import Max

    top = model.objects.aggregate(top=Max("id"))["top"] or 0
    return [rng.randint(1, top) for _ in range(count)] if top else []


def samples(rng: random.Random, officers: dict) -> Samples:
    """Sample the criteria (a few hundred rows per table, at random ids)."""
    from django.db.models import Max

    from zairyu.accounts.models import User
    from zairyu.applications.models import Application
    from zairyu.cards.models import ResidenceCard
    from zairyu.filings.models import Filing, OFiling
    from zairyu.reference.models import NotificationEvent, ServiceOKind

    filings = [
        (f.card.number if f.card_id else "", f.pk, f.resident_account_id, f.organization_id)
        for f in Filing.objects.filter(pk__in=_random_ids(Filing, rng, SAMPLE)).select_related(
            "card"
        )
    ]
    ofilings = [
        (o.organization_id, o.organization.corporate_number or "", o.organization.name)
        for o in OFiling.objects.filter(pk__in=_random_ids(OFiling, rng, SAMPLE)).select_related(
            "organization"
        )
    ]
    applications = [
        (a.receipt_number, a.applicant_name, a.filer_id)
        for a in Application.objects.filter(
            pk__in=_random_ids(Application, rng, SAMPLE), receipt_number__isnull=False
        )
    ]
    cards = [
        (c.number, c.roman_name)
        for c in ResidenceCard.objects.filter(pk__in=_random_ids(ResidenceCard, rng, SAMPLE))
    ]
    accounts = list(
        User.objects.filter(pk__in=_random_ids(User, rng, SAMPLE), is_staff=False).values_list(
            "username", "display_name", "email"
        )
    )
    today = Filing.objects.aggregate(day=Max("filed_on"))["day"] or dt.date.today()
    return Samples(
        today=today,
        hq=officers[None],
        bureau_officers=[user for bureau, user in officers.items() if bureau],
        filings=filings,
        ofilings=ofilings,
        applications=applications,
        cards=cards,
        accounts=accounts,
        events=list(NotificationEvent.objects.values_list("code", flat=True)),
        kinds=list(ServiceOKind.objects.values_list("code", flat=True)),
    )


def _weighted(rng: random.Random, pairs) -> str:
    return rng.choices([v for v, _ in pairs], [w for _, w in pairs])[0]


# --- Service N filings (backoffice.filings_views.filing_search) -----------------------------


def _filing_search(officer, **criteria):
    from zairyu.filings import selectors

    return selectors.filing_search(
        selectors.filings_visible_to(officer), selectors.FilingSearch(**criteria)
    )


def filings_card_number(s: Samples, rng: random.Random):
    number = rng.choice([f[0] for f in s.filings if f[0]])
    return _filing_search(s.hq, card_number=number)


def filings_number(s: Samples, rng: random.Random):
    return _filing_search(s.hq, number=f"N{rng.choice(s.filings)[1]:010d}")


def _week(s: Samples, rng: random.Random) -> dict:
    return {
        "state": _weighted(rng, FILING_STATES),
        "event": rng.choice(s.events),
        "filed_from": s.today - dt.timedelta(days=6),
        "filed_to": s.today,
    }


def filings_state_event_week(s: Samples, rng: random.Random):
    return _filing_search(s.hq, **_week(s, rng))


def filings_bureau_state_event_week(s: Samples, rng: random.Random):
    return _filing_search(rng.choice(s.bureau_officers), **_week(s, rng))


def filings_state_week(s: Samples, rng: random.Random):
    criteria = _week(s, rng)
    del criteria["event"]
    return _filing_search(s.hq, **criteria)


def filings_bureau_state_week(s: Samples, rng: random.Random):
    criteria = _week(s, rng)
    del criteria["event"]
    return _filing_search(rng.choice(s.bureau_officers), **criteria)


def filings_event_week(s: Samples, rng: random.Random):
    criteria = _week(s, rng)
    del criteria["state"]
    return _filing_search(s.hq, **criteria)


def filings_day(s: Samples, rng: random.Random):
    """Every filing of one day of the last week (dates only)."""
    day = s.today - dt.timedelta(days=rng.randrange(7))
    return _filing_search(s.hq, filed_from=day, filed_to=day)


# --- Service O filings (backoffice.service_o_views) ------------------------------------------


def _ofiling_search(officer, **criteria):
    from zairyu.filings.service_o import selectors

    return selectors.ofiling_search(
        selectors.ofilings_visible_to(officer), selectors.OFilingSearch(**criteria)
    )


def ofilings_organization(s: Samples, rng: random.Random):
    _, corporate_number, name = rng.choice(s.ofilings)
    return _ofiling_search(s.hq, organization=corporate_number or name)


def ofilings_kind_state_month(s: Samples, rng: random.Random):
    return _ofiling_search(
        s.hq,
        kind=rng.choice(s.kinds),
        state=_weighted(rng, OFILING_STATES),
        filed_from=s.today - dt.timedelta(days=29),
        filed_to=s.today,
    )


# --- Cards (backoffice card search, BO-2) ----------------------------------------------------


def cards_number(s: Samples, rng: random.Random):
    from zairyu.cards.selectors import card_search

    return card_search(number=rng.choice(s.cards)[0])


def cards_name(s: Samples, rng: random.Random):
    """The whole name (family and given name) of a card."""
    from zairyu.cards.selectors import card_search

    return card_search(name=rng.choice(s.cards)[1])


def cards_given_name(s: Samples, rng: random.Random):
    """The given name alone (part of the name): every card whose name contains it."""
    from zairyu.cards.selectors import card_search

    return card_search(name=rng.choice(s.cards)[1].split()[-1])


# --- Applications (backoffice.applications_views.search) -------------------------------------


def _application_search(officer, **criteria):
    from zairyu.applications.selectors import officer_search
    from zairyu.backoffice.access import applications_in_jurisdiction

    visible = applications_in_jurisdiction(officer).select_related("procedure", "bureau")
    return officer_search(visible, **criteria)


def applications_number(s: Samples, rng: random.Random):
    return _application_search(s.hq, number=rng.choice(s.applications)[0])


def applications_name(s: Samples, rng: random.Random):
    return _application_search(s.hq, name=rng.choice(s.applications)[1])


# --- Accounts (backoffice.accounts_views.account_search) -------------------------------------


def _account_search(officer, **criteria):
    from zairyu.accounts.organizations import account_search
    from zairyu.backoffice.access import accounts_in_jurisdiction

    values = {"auth_id": "", "name": "", "email": "", "category": ""} | criteria
    return account_search(accounts_in_jurisdiction(officer), **values)


def accounts_auth_id(s: Samples, rng: random.Random):
    return _account_search(s.hq, auth_id=rng.choice(s.accounts)[0])


def accounts_name(s: Samples, rng: random.Random):
    return _account_search(s.hq, name=rng.choice(s.accounts)[1])


def accounts_email(s: Samples, rng: random.Random):
    return _account_search(s.hq, email=rng.choice(s.accounts)[2].split("@")[0])


def accounts_bureau_name(s: Samples, rng: random.Random):
    return _account_search(rng.choice(s.bureau_officers), name=rng.choice(s.accounts)[1])


# --- The filers' lists -----------------------------------------------------------------------


def _user(pk: int):
    from zairyu.accounts.models import User

    return User.objects.select_related("organization_account__organization").get(pk=pk)


def history_resident(s: Samples, rng: random.Random):
    """A resident's 届出状況参照 (filings.views.history)."""
    from zairyu.filings.selectors import filings_visible_to

    residents = [f[2] for f in s.filings if f[2]]
    return filings_visible_to(_user(rng.choice(residents)))


def _organization_history(organization_id: int):
    from zairyu.accounts.models import OrganizationAccount
    from zairyu.filings.selectors import filings_visible_to

    link = OrganizationAccount.objects.select_related("user").get(
        organization_id=organization_id, active=True
    )
    return filings_visible_to(_user(link.user_id))


def history_organization(s: Samples, rng: random.Random):
    """An organization's 届出状況参照: an organization that filed one of the sampled filings
    (so the large ones come up in proportion to what they file)."""
    organizations = [f[3] for f in s.filings if f[3]]
    return _organization_history(rng.choice(organizations))


def history_service_o(s: Samples, rng: random.Random):
    """An organization's 申込内容照会 (service_o.views.history)."""
    from zairyu.cards.models import Organization
    from zairyu.filings.service_o.selectors import ofilings_of_organization

    return ofilings_of_organization(Organization.objects.get(pk=rng.choice(s.ofilings)[0]))


def applications_filer_list(s: Samples, rng: random.Random):
    """A filer's 申請情報一覧 (applications.views.application_list)."""
    from zairyu.applications.selectors import application_list

    return application_list(_user(rng.choice(s.applications)[2]))


SEARCHES: dict[str, Callable] = {
    "filings_card_number": filings_card_number,
    "filings_number": filings_number,
    "filings_state_event_week": filings_state_event_week,
    "filings_bureau_state_event_week": filings_bureau_state_event_week,
    "filings_state_week": filings_state_week,
    "filings_bureau_state_week": filings_bureau_state_week,
    "filings_event_week": filings_event_week,
    "filings_day": filings_day,
    "ofilings_organization": ofilings_organization,
    "ofilings_kind_state_month": ofilings_kind_state_month,
    "cards_number": cards_number,
    "cards_name": cards_name,
    "cards_given_name": cards_given_name,
    "applications_number": applications_number,
    "applications_name": applications_name,
    "accounts_auth_id": accounts_auth_id,
    "accounts_name": accounts_name,
    "accounts_email": accounts_email,
    "accounts_bureau_name": accounts_bureau_name,
    "history_resident": history_resident,
    "history_organization": history_organization,
    "history_service_o": history_service_o,
    "applications_filer_list": applications_filer_list,
}


def evaluate(queryset) -> int:
    """What a results page costs: the count and the first page (``Paginator.get_page``);
    returns the count."""
    from django.core.paginator import Paginator

    page = Paginator(queryset, PAGE_SIZE).get_page(1)
    list(page.object_list)
    return page.paginator.count


# --- Before issue 17 -------------------------------------------------------------------------


def _before_filing_search(officer, **criteria):
    """filing_search as it was: the card number through an OR with the card's own index, the
    Meta order (the dates were the same filters)."""
    from django.db.models import Q

    from zairyu.core import crypto
    from zairyu.filings import selectors

    query = selectors.filings_visible_to(officer)
    if number := criteria.pop("card_number", ""):
        indexes = crypto.blind_indexes("card-number", number.strip().upper())
        return query.filter(Q(card__number_index__in=indexes) | Q(card_number_index__in=indexes))
    if number := criteria.pop("number", ""):
        return query.filter(pk=selectors.filing_number_pk(number))
    for key, lookup in (("filed_from", "filed_on__gte"), ("filed_to", "filed_on__lte")):
        if key in criteria:
            criteria[lookup] = criteria.pop(key)
    if "event" in criteria:
        criteria["event_id"] = criteria.pop("event")
    return query.filter(**criteria)


def _before_ofiling_search(officer, **criteria):
    """ofiling_search as it was: an OR over the joined organization."""
    from django.db.models import Q

    from zairyu.filings.service_o import selectors

    query = selectors.ofilings_visible_to(officer)
    if text := criteria.pop("organization", ""):
        query = query.filter(
            Q(organization__name__icontains=text)
            | Q(organization__corporate_number=text)
            | Q(organization__rso_registration_number=text)
        )
    for key, lookup in (("filed_from", "filed_on__gte"), ("filed_to", "filed_on__lte")):
        if key in criteria:
            criteria[lookup] = criteria.pop(key)
    if "kind" in criteria:
        criteria["kind_id"] = criteria.pop("kind")
    return query.filter(**criteria).order_by("-filed_at", "-id")


def _before_account_search(officer, **criteria):
    """account_search by name as it was: an OR over the joined organization."""
    from django.db.models import Q

    from zairyu.backoffice.access import accounts_in_jurisdiction

    name = criteria["name"]
    return (
        accounts_in_jurisdiction(officer)
        .filter(
            Q(display_name__icontains=name)
            | Q(organization_account__organization__name__icontains=name)
            | Q(first_name__icontains=name)
            | Q(last_name__icontains=name)
        )
        .select_related("organization_account__organization")
        .order_by("username")
    )


def _before_application_list(user):
    """applications_visible_to as it was: an OR over the joined staff account."""
    from django.db.models import Q

    from zairyu.applications.models import Application
    from zairyu.applications.rules import STAFF_CATEGORIES, staff_organization

    condition = Q(filer=user)
    if user.category in STAFF_CATEGORIES:
        organization = staff_organization(user)
        if organization is not None:
            condition |= Q(state="draft", filer__staff_account__organization=organization)
    return (
        Application.objects.filter(condition)
        .select_related("procedure", "status", "filer", "bureau")
        .order_by("-updated_at", "-id")
    )


def _swap(search: Callable, replacement: Callable, target: str) -> Callable:
    """``search`` with ``target`` (a helper of this module) replaced by ``replacement``."""

    def before(s: Samples, rng: random.Random):
        saved = globals()[target]
        globals()[target] = replacement
        try:
            return search(s, rng)
        finally:
            globals()[target] = saved

    return before


def _before_filer_list(s: Samples, rng: random.Random):
    return _before_application_list(_user(rng.choice(s.applications)[2]))


BEFORE: dict[str, Callable] = {
    name: _swap(SEARCHES[name], _before_filing_search, "_filing_search")
    for name in SEARCHES
    if name.startswith("filings_")
}
BEFORE |= {
    name: _swap(SEARCHES[name], _before_ofiling_search, "_ofiling_search")
    for name in ("ofilings_organization", "ofilings_kind_state_month")
}
BEFORE |= {
    name: _swap(SEARCHES[name], _before_account_search, "_account_search")
    for name in ("accounts_name", "accounts_bureau_name")
}
BEFORE["applications_filer_list"] = _before_filer_list
