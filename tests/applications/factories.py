"""Test data for service A: users of every category (REFERENCE.md §9), cards, drafts."""

import datetime as dt
import itertools

from tests.accounts.factories import UserFactory
from tests.cards.factories import make_card, next_number
from tests.filings.factories import make_organization
from zairyu.accounts.models import Category, IdentityCertificate, StaffAccount, StaffClient
from zairyu.applications.models import Application, ApplicationState
from zairyu.applications.rules import applicant_key
from zairyu.applications.services import transition
from zairyu.cards.models import Organization
from zairyu.core import clock

_serial = itertools.count(1)


def _user(category: str, **extra):
    n = next(_serial)
    return UserFactory(
        username=extra.pop("username", f"sa{category[:6]}{n:04d}"),
        category=category,
        language=extra.pop("language", "en"),
        **extra,
    )


def make_foreign_national(*, card=None, with_person: bool = True, **card_fields):
    """A foreign national (ID-3) and their own current card.

    ``with_person`` links the account to the registry person; without it the My Number
    certificate (name, sex, birth date) is what says who the user is.
    """
    card = card or make_card(number=next_number("FN"), **card_fields)
    user = _user(Category.FOREIGN_NATIONAL, person=card.person if with_person else None)
    IdentityCertificate.objects.create(
        user=user,
        category=Category.FOREIGN_NATIONAL,
        issuer="CN=Test JPKI CA",
        serial=f"{next(_serial):08x}",
        fingerprint=f"{next(_serial):064x}",
        not_after=clock.now() + dt.timedelta(days=365),
        holder_name=card.roman_name,
        holder_sex=card.sex,
        holder_birth_date=card.birth_date,
        bound_at=clock.now(),
    )
    return user, card


def make_legal_representative():
    return _user(Category.LEGAL_REPRESENTATIVE)


def make_relative():
    return _user(Category.RELATIVE)


def make_lawyer():
    return _user(Category.LAWYER)


def make_coe_recipient():
    return _user(Category.COE_RECIPIENT)


def _staff(category: str, organization: Organization):
    user = _user(category, display_name="担当 太郎")
    StaffAccount.objects.create(
        user=user,
        organization=organization,
        issued_at=clock.now(),
        password_by=clock.now() + dt.timedelta(days=30),
        activated_at=clock.now(),
    )
    return user


def make_organization_staff(organization: Organization | None = None):
    """Staff of an accepting organization (ID-5) and that organization."""
    organization = organization or make_organization(name=f"株式会社受入{next(_serial)}")
    return _staff(Category.ORGANIZATION_STAFF, organization), organization


def make_commissioned_staff(category: str, *clients: Organization):
    """Public-interest or RSO staff (Q3-11) commissioned by ``clients``."""
    kind = (
        Organization.Kind.SUPPORT_ORGANIZATION
        if category == Category.RSO_STAFF
        else Organization.Kind.PUBLIC_INTEREST
    )
    own = make_organization(kind=kind, name=f"支援機関{next(_serial)}")
    user = _staff(category, own)
    for client in clients:
        StaffClient.objects.create(
            account=user.staff_account,
            name=client.name,
            corporate_number=client.corporate_number or "",
            added_at=clock.now(),
        )
    return user


def make_draft(*, filer, procedure: str = "extension", card=None, status=None, **fields):
    """A draft (入力完了(申請未了)) of ``filer`` for ``card``'s holder, made by ``transition``."""
    status = status or (card.status_id if card is not None else None)
    application = Application(
        procedure_id=procedure,
        status_id=status,
        filer=filer,
        applicant_person=card.person if card is not None else None,
        applicant_card=card,
        applicant_key=applicant_key(card=card) if card is not None else "",
        applicant_name=card.roman_name if card is not None else "",
        applicant_birth_date=card.birth_date if card is not None else None,
        **fields,
    )
    return transition(application, to=ApplicationState.DRAFT, actor=filer)
