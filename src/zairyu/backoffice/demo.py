"""The demo back-office log-ins for ``make run`` (setup_demo): officer, supervisor, helpdesk and
administrator, each with its category and role group (SEC-1), so that each is asked for an
authenticator at the first sign-in (ID-17, SEC-2). Idempotent; the log-ins are printed on
purpose."""

from django.contrib.auth import get_user_model

from zairyu.accounts.models import Category

from .access import (
    ADMINISTRATOR_GROUP,
    HELPDESK_GROUP,
    OFFICER_GROUP,
    SUPERVISOR_GROUP,
    ensure_roles,
    officer_group,
    role_group,
)

DEMO_OFFICER = ("officer", "Zairyu-officer-2026!")  # noqa: S105 (demo log-in, printed)
DEMO_ADMIN = ("admin", "Zairyu-demo-2026!")  # noqa: S105 (demo log-in, printed on purpose)


def _demo_back_office_user(
    login: tuple[str, str], *, role: str, category: str, superuser: bool = False
) -> bool:
    """Create a demo back-office user, or complete one made by an older demo set-up (which left
    the officer and the administrator without a category); return whether it was created."""
    username, password = login
    user_model = get_user_model()
    user = user_model.objects.filter(username=username).first()
    created = user is None
    if created:
        create = (
            user_model.objects.create_superuser if superuser else user_model.objects.create_user
        )
        user = create(
            username, f"{username}@zairyu.example", password, is_staff=True, category=category
        )
    elif user.category != category or not user.is_staff:
        user.category = category
        user.is_staff = True
        user.save(update_fields=["category", "is_staff"])
    group = officer_group() if role == OFFICER_GROUP else role_group(role)
    if not user.groups.filter(pk=group.pk).exists():
        user.groups.add(group)
    return created


def load_demo_officer() -> bool:
    """Create the demo officer (staff, category and group "officer") if missing; return whether
    created."""
    return _demo_back_office_user(DEMO_OFFICER, role=OFFICER_GROUP, category=Category.OFFICER)


def load_demo_administrator() -> bool:
    """Create the demo administrator (superuser for the Django admin, category and group
    "administrator" for the back office) if missing; return whether created."""
    return _demo_back_office_user(
        DEMO_ADMIN, role=ADMINISTRATOR_GROUP, category=Category.ADMINISTRATOR, superuser=True
    )


# The other back-office roles (access.BACK_OFFICE_ROLES); log-ins printed on purpose.
DEMO_SUPERVISOR = ("supervisor", "Zairyu-supervisor-2026!")  # noqa: S105
DEMO_HELPDESK = ("helpdesk", "Zairyu-helpdesk-2026!")  # noqa: S105


def load_demo_roles() -> list[str]:
    """Create the demo supervisor and helpdesk log-ins if missing; return what was created."""
    ensure_roles()
    created = []
    for login, role, category in (
        (DEMO_SUPERVISOR, SUPERVISOR_GROUP, Category.SUPERVISOR),
        (DEMO_HELPDESK, HELPDESK_GROUP, Category.HELPDESK),
    ):
        if _demo_back_office_user(login, role=role, category=category):
            created.append(f"demo {role}")
    return created
