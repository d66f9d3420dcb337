"""Test data for service N: residents with cards, organization accounts, officers."""

import datetime as dt
import itertools

from django.contrib.auth import get_user_model

from tests.accounts.factories import UserFactory
from tests.cards.factories import make_card, next_number
from zairyu.accounts.models import Category, OrganizationAccount
from zairyu.backoffice.access import officer_group
from zairyu.cards.models import Organization
from zairyu.cards.services import organization_create
from zairyu.core import clock

_serial = itertools.count(1)


def make_resident(*, status: str = "engineer_humanities_international", language="en", **card):
    """A registered resident (ID-1) whose person holds one current card of ``status``."""
    card = make_card(number=card.pop("number", next_number("RS")), status_id=status, **card)
    user = UserFactory(
        category=Category.RESIDENT,
        person=card.person,
        valid_until=card.stay_until,
        language=language,
    )
    return user, card


def make_organization(*, kind=Organization.Kind.COMPANY, name="株式会社法務商事", **extra):
    return organization_create(
        actor=None,
        name=name,
        kind=kind,
        prefecture_id=extra.pop("prefecture_id", "13"),
        municipality_id=extra.pop("municipality_id", "13101"),
        street=extra.pop("street", "丸の内１−１−１"),
        **extra,
    )


def make_organization_account(*, kind=Organization.Kind.COMPANY, language="en", **extra):
    """An organization account (ID-2) for a new organization of ``kind`` using service N."""
    organization = make_organization(kind=kind, **extra)
    n = next(_serial)
    user = UserFactory(
        username=f"org{n:04d}acct",
        category=Category.ORGANIZATION,
        uses_service_n=True,
        language=language,
        display_name=organization.name,
        last_used_at=clock.now(),
        date_joined=clock.now(),
    )
    OrganizationAccount.objects.create(
        user=user,
        organization=organization,
        registered_at=clock.now(),
        submitted_via="counter",
        submitter_name="担当者",
        staff_id_document="staff_card",
    )
    return user, organization


def make_officer(*, username=None, bureau_id="tokyo"):
    user = get_user_model().objects.create_user(
        username or f"officer{next(_serial):03d}",
        password="Officer-pass-2026!",
        is_staff=True,
        category=Category.OFFICER,
        bureau_id=bureau_id,
    )
    user.groups.add(officer_group())
    return user


def days_ago(n: int) -> dt.date:
    return clock.today() - dt.timedelta(days=n)
