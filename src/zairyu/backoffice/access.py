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

from django.contrib.auth.models import Group, Permission
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404, HttpRequest
from django.urls import reverse

from zairyu.accounts import otp
from zairyu.accounts.models import BACK_OFFICE_CATEGORIES, User
from zairyu.cards.models import Organization, ResidenceCard
from zairyu.cards.selectors import card_get
from zairyu.reference.models import Bureau, Prefecture

OFFICER_GROUP = "officer"

# What each back-office action needs (Django model permissions of the cards app).
PERMISSIONS = {
    "view": "cards.view_residencecard",
    "create": "cards.add_residencecard",
    "change": "cards.change_residencecard",
    # Accounts (BO-3, ID-2, ID-19)
    "accounts_view": "accounts.view_user",
    "accounts_register": "accounts.add_user",
    "accounts_change": "accounts.change_user",
}

# The permissions the "officer" group holds (app_label, codename).
OFFICER_PERMISSIONS = [
    ("cards", "view_residencecard"),
    ("cards", "add_residencecard"),
    ("cards", "change_residencecard"),
    ("cards", "view_person"),
    ("cards", "add_person"),
    ("cards", "view_organization"),
    ("accounts", "view_user"),
    ("accounts", "add_user"),
    ("accounts", "change_user"),
    # Back-office rights (backoffice.models.BackOfficeRight; roles: BACK_OFFICE_ROLES)
    ("backoffice", "use_backoffice"),
    ("backoffice", "lookup_account"),
    ("backoffice", "decide_application"),
]


def officer_group() -> Group:
    """Return the "officer" group with its card permissions (created or completed if needed)."""
    group, _ = Group.objects.get_or_create(name=OFFICER_GROUP)
    wanted = []
    for app_label, codename in OFFICER_PERMISSIONS:
        permission = Permission.objects.filter(
            content_type__app_label=app_label, codename=codename
        ).first()
        if permission is not None:
            wanted.append(permission)
    missing = set(wanted) - set(group.permissions.all())
    if missing:
        group.permissions.add(*missing)
    return group


# --- Back-office roles (SEC-1, BO-7..BO-9) ------------------------------------------------------
#
# Each role is a Django group; BACK_OFFICE_ROLES is the ONE table of what each may do, and
# ``role_group`` creates or completes a group from it (like ``officer_group``; post_migrate in
# apps.py runs ``ensure_roles``). Rights that are no model's add/change/view are declared on
# backoffice.models.BackOfficeRight. Decisions:
#
# - officer: the work on cards, accounts, filings and applications in the bureau's
#   jurisdiction, including deciding applications (BO-5); no dashboard, audit trail or mail log.
# - supervisor: everything an officer may do, plus the dashboard (BO-6), the notices (BO-7)
#   and the audit trail (BO-8: viewer, export, chain check) and the mail log (BO-9, addresses
#   masked).
# - helpdesk: answers callers (001 Q35, 002 Q2-6 "my mail did not arrive"): looks accounts up
#   read-only (state, validity, lock — not staff requests, cards or filings) and the mail log
#   with masked addresses. It changes nothing: no unlock, re-issue or password (those need the
#   paper request and identity check an officer makes, ID-8, ID-13, ID-14), no decisions.
# - administrator: operations: notices, mail log with full addresses and re-queue of failed
#   mails, audit trail and export, dashboard, and those objects in the Django admin. No card,
#   account or application work (least privilege); a superuser remains all-powerful.
SUPERVISOR_GROUP = "supervisor"
HELPDESK_GROUP = "helpdesk"
ADMINISTRATOR_GROUP = "administrator"

PERMISSIONS.update(
    {
        "home": "backoffice.use_backoffice",
        "accounts_lookup": "backoffice.lookup_account",
        "applications_decide": "backoffice.decide_application",
        "dashboard": "backoffice.view_dashboard",
        "notices": "backoffice.manage_notices",
        "audit_view": "backoffice.view_audit",
        "audit_export": "backoffice.export_audit",
        "maillog_view": "backoffice.view_maillog",
        "maillog_addresses": "backoffice.view_mail_address",
        "mail_requeue": "backoffice.requeue_mail",
    }
)

_OVERSIGHT = [
    ("backoffice", "view_dashboard"),
    ("backoffice", "manage_notices"),
    ("backoffice", "view_audit"),
    ("backoffice", "export_audit"),
    ("backoffice", "view_maillog"),
]
BACK_OFFICE_ROLES: dict[str, list[tuple[str, str]]] = {
    OFFICER_GROUP: OFFICER_PERMISSIONS,
    SUPERVISOR_GROUP: [*OFFICER_PERMISSIONS, *_OVERSIGHT],
    HELPDESK_GROUP: [
        ("backoffice", "use_backoffice"),
        ("backoffice", "lookup_account"),
        ("backoffice", "view_maillog"),
    ],
    ADMINISTRATOR_GROUP: [
        ("backoffice", "use_backoffice"),
        *_OVERSIGHT,
        ("backoffice", "requeue_mail"),
        ("backoffice", "view_mail_address"),
        # The same objects in the Django admin
        ("portal", "view_notice"),
        ("portal", "add_notice"),
        ("portal", "change_notice"),
        ("mail", "view_mail"),
        ("mail", "view_mailattempt"),
        ("audit", "view_auditevent"),
    ],
}


def role_group(role: str) -> Group:
    """Return the group of a back-office role with its permissions (created or completed)."""
    group, _ = Group.objects.get_or_create(name=role)
    wanted = [
        permission
        for app_label, codename in BACK_OFFICE_ROLES[role]
        if (
            permission := Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
        )
        is not None
    ]
    missing = set(wanted) - set(group.permissions.all())
    if missing:
        group.permissions.add(*missing)
    return group


def ensure_roles() -> None:
    """Create or complete every back-office role's group (after migrate, in setup_demo)."""
    for role in BACK_OFFICE_ROLES:
        role_group(role)


def is_officer(user, action: str = "view") -> bool:
    """Say whether ``user`` may perform ``action`` (view / create / change) on cards."""
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and user.is_staff
        and user.has_perm(PERMISSIONS[action])
    )


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


def officer_bureaus(user) -> set[str] | None:
    """Return the codes of the bureaus whose jurisdiction the officer covers; None = all."""
    bureau_id = getattr(user, "bureau_id", None)
    if not bureau_id:
        return None
    branches = Bureau.objects.filter(parent_id=bureau_id).values_list("code", flat=True)
    return {bureau_id, *branches}


def in_jurisdiction(user, card: ResidenceCard) -> bool:
    """Say whether the card lies in the officer's jurisdiction (BO-1): its address's bureau."""
    bureaus = officer_bureaus(user)
    return bureaus is None or card.prefecture.bureau_id in bureaus


def filings_in_jurisdiction(user, filings: QuerySet) -> QuerySet:
    """Narrow filings that carry a ``bureau`` (service O: the filing organization's bureau) to
    the officer's jurisdiction (BO-1, BO-4); none unless the user is an officer."""
    if not is_officer(user, "view"):
        return filings.none()
    bureaus = officer_bureaus(user)
    return filings if bureaus is None else filings.filter(bureau_id__in=bureaus)


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
    return accounts.filter(
        Q(organization_account__organization__bureau_id__in=bureaus)
        | (Q(organization_account__isnull=True) & (resident_here | no_address))
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
