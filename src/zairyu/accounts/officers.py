"""Who is an officer, with which rights, for which bureaus: the officer policy (BO-1, SEC-1).

The domain asks it (may this user act as an officer? which filings lie in the officer's
jurisdiction?) and the back office builds its pages on it (``zairyu.backoffice.access``: the
view decorator and the per-object fetchers). It lives with identity, below every domain app,
so no domain module needs the interface.

**Jurisdiction (BO-1).** An officer with a ``bureau`` covers that bureau and, for a regional
bureau, its district offices (``Bureau.parent``); an officer with no bureau works at
headquarters and covers the whole country.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.db.models import QuerySet

from zairyu.reference.models import Bureau

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


def officer_bureaus(user) -> set[str] | None:
    """Return the codes of the bureaus whose jurisdiction the officer covers; None = all."""
    bureau_id = getattr(user, "bureau_id", None)
    if not bureau_id:
        return None
    branches = Bureau.objects.filter(parent_id=bureau_id).values_list("code", flat=True)
    return {bureau_id, *branches}


def filings_in_jurisdiction(user, filings: QuerySet) -> QuerySet:
    """Narrow filings that carry a ``bureau`` (service O: the filing organization's bureau) to
    the officer's jurisdiction (BO-1, BO-4); none unless the user is an officer."""
    if not is_officer(user, "view"):
        return filings.none()
    bureaus = officer_bureaus(user)
    return filings if bureaus is None else filings.filter(bureau_id__in=bureaus)
