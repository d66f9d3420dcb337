"""Who may use the back office and see which card: the ONE place the checks live (BO-1, SEC-1).

Views never test permissions themselves: they are wrapped in ``officer_required(<action>)``
and fetch cards only through ``access_card_by_id``, accounts only through
``access_account_by_id`` (and lists through ``accounts_in_jurisdiction``).

**Second factor (ID-17, BO-1).** Every back-office page needs a session verified with a TOTP
code (django-otp's ``OTPMiddleware`` says so): an officer without an authenticator is sent to
set one up, one with an authenticator to enter a code. Checked after the permission, so a user
who may not use the back office still gets 403.

**Jurisdiction (BO-1).** An officer with a ``bureau`` sees what lies in that bureau's
jurisdiction, and a regional bureau's officer also what lies in its district offices'
(``Bureau.parent``). An officer with no bureau works at headquarters and sees the whole
country. What lies where:

- a residence card: its address's prefecture → bureau;
- an organization: its ``bureau`` (from its address when registered);
- an organization account: its organization's bureau;
- a resident's account: the bureau of the address on the person's valid card (or, without one,
  of any of the person's cards);
- other accounts with no address on record (service A users not tied to an organization):
  every officer, since no bureau can be derived; they are few and filed at any bureau;
- back-office and staff accounts: no officer here (administrators manage them in the admin).

Missing and out-of-jurisdiction objects give the same 404.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404, HttpRequest
from django.urls import reverse

from zairyu.accounts import otp
from zairyu.accounts.models import BACK_OFFICE_CATEGORIES, OrganizationAccount, User
from zairyu.accounts.officers import (  # noqa: F401 - the policy, re-exported for the pages
    ADMINISTRATOR_GROUP,
    BACK_OFFICE_ROLES,
    HELPDESK_GROUP,
    OFFICER_GROUP,
    OFFICER_PERMISSIONS,
    PERMISSIONS,
    SUPERVISOR_GROUP,
    ensure_roles,
    filings_in_jurisdiction,
    is_officer,
    officer_bureaus,
    officer_group,
    role_group,
)
from zairyu.cards.models import Organization, ResidenceCard
from zairyu.cards.selectors import card_get
from zairyu.reference.models import Bureau, Prefecture


def officer_required(action: str = "view") -> Callable:
    """Wrap a view: anonymous → the back-office log-in; logged in without the right → 403;
    allowed but the session not verified with a second factor → its set-up or code page."""
    if action not in PERMISSIONS:
        raise ValueError(f"unknown back-office action {action!r}")

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path(), reverse("backoffice:login"))
            if not is_officer(request.user, action):
                raise PermissionDenied
            # Officers are staff, so the step is "setup" until a device is confirmed (SEC-2).
            step = otp.second_factor_step(request)
            if step is not None:
                return otp.step_redirect(request, step)
            return view(request, *args, **kwargs)

        wrapped.officer_action = action  # the URL × role test matrix reads it
        return wrapped

    return decorator


def in_jurisdiction(user, card: ResidenceCard) -> bool:
    """Say whether the card lies in the officer's jurisdiction (BO-1): its address's bureau."""
    bureaus = officer_bureaus(user)
    return bureaus is None or card.prefecture.bureau_id in bureaus


def cards_in_jurisdiction(user, cards: QuerySet[ResidenceCard]) -> QuerySet[ResidenceCard]:
    """Narrow a card list (search results) to the officer's jurisdiction (BO-1)."""
    bureaus = officer_bureaus(user)
    return cards if bureaus is None else cards.filter(prefecture__bureau_id__in=bureaus)


def access_card_by_id(user, card_id: int) -> ResidenceCard:
    """Return the card if ``user`` may see it; the same 404 for missing and forbidden."""
    card = card_get(card_id)
    if card is None or not is_officer(user, "view") or not in_jurisdiction(user, card):
        raise Http404
    return card


# --- Accounts and organizations (BO-3) ---------------------------------------------------------


def accounts_in_jurisdiction(user) -> QuerySet[User]:
    """The accounts an officer may see (module docstring: "Jurisdiction")."""
    accounts = User.objects.exclude(category__in=BACK_OFFICE_CATEGORIES).filter(
        is_staff=False, is_superuser=False
    )
    bureaus = officer_bureaus(user)
    if bureaus is None:
        return accounts
    cards = ResidenceCard.objects.filter(person=OuterRef("person"))
    valid = cards.filter(state=ResidenceCard.State.VALID)
    resident_here = Q(person__isnull=False) & (
        Exists(valid.filter(prefecture__bureau_id__in=bureaus))
        | (~Exists(valid) & Exists(cards.filter(prefecture__bureau_id__in=bureaus)))
    )
    no_address = Q(person__isnull=True)
    # The organization link is asked per account (EXISTS, through its unique index) rather than
    # joined: the join made PostgreSQL read every organization to hash them (issue 17).
    linked = OrganizationAccount.objects.filter(user=OuterRef("pk"))
    return accounts.filter(
        Exists(linked.filter(organization__bureau_id__in=bureaus))
        | (~Exists(linked) & (resident_here | no_address))
    )


def access_account_by_id(user, account_id: int, action: str = "accounts_view") -> User:
    """Return the account if ``user`` may act on it; the same 404 for missing and forbidden."""
    if not is_officer(user, action):
        raise Http404
    account = (
        accounts_in_jurisdiction(user)
        .select_related("organization_account__organization__bureau")
        .filter(pk=account_id)
        .first()
    )
    if account is None:
        raise Http404
    return account


def organizations_in_jurisdiction(user) -> QuerySet[Organization]:
    bureaus = officer_bureaus(user)
    organizations = Organization.objects.all()
    return organizations if bureaus is None else organizations.filter(bureau_id__in=bureaus)


def access_organization_by_id(user, organization_id: int) -> Organization:
    """Return the organization if it lies in the officer's jurisdiction, else 404."""
    if not is_officer(user, "accounts_view"):
        raise Http404
    organization = organizations_in_jurisdiction(user).filter(pk=organization_id).first()
    if organization is None:
        raise Http404
    return organization


def bureau_for_new_address(user, prefecture_id: str) -> tuple[bool, Bureau | None]:
    """Say whether an officer may register something at an address in this prefecture, and
    which bureau has jurisdiction there (the paper form goes to that bureau, 000 §1)."""
    prefecture = Prefecture.objects.select_related("bureau").filter(pk=prefecture_id).first()
    if prefecture is None:
        return True, None  # the service reports the unknown prefecture by field
    bureaus = officer_bureaus(user)
    return bureaus is None or prefecture.bureau_id in bureaus, prefecture.bureau


# --- Service A applications (BO-1, BO-5) -------------------------------------------------------


def applications_in_jurisdiction(user, applications: QuerySet | None = None) -> QuerySet:
    """Narrow applications to those filed with the officer's offices (``Application.bureau``,
    the office with jurisdiction, 002 Q4-16) and past the draft (drafts and bulk rows with
    errors are the filer's own); none unless the user may work on applications. An application
    with no office yet (a receipt-number error because none could be derived) is seen by
    headquarters only."""
    from zairyu.applications.models import Application, ApplicationState

    if applications is None:
        applications = Application.objects.all()
    if not is_officer(user, "applications_decide"):
        return applications.none()
    applications = applications.exclude(
        state__in=[ApplicationState.DRAFT, ApplicationState.BULK_ERROR]
    )
    bureaus = officer_bureaus(user)
    return applications if bureaus is None else applications.filter(bureau_id__in=bureaus)


def access_application_by_id(user, application_id: int):
    """Return the application if ``user`` may work on it; the same 404 for missing, a draft
    and another office's application."""
    application = (
        applications_in_jurisdiction(user)
        .select_related("procedure", "status", "filer", "bureau", "applicant_card", "organization")
        .filter(pk=application_id)
        .first()
    )
    if application is None:
        raise Http404
    return application


def applications_for_statistics(user) -> QuerySet:
    """The applications whose counts the dashboard shows (BO-6): those of the user's offices
    (all for headquarters), past the draft; none without the dashboard right. Only aggregates
    are shown from it, never a row."""
    from zairyu.applications.models import Application, ApplicationState

    if not is_officer(user, "dashboard"):
        return Application.objects.none()
    applications = Application.objects.exclude(
        state__in=[ApplicationState.DRAFT, ApplicationState.BULK_ERROR]
    )
    bureaus = officer_bureaus(user)
    return applications if bureaus is None else applications.filter(bureau_id__in=bureaus)
