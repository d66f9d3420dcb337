"""The demo officer for ``make run`` (setup_demo). Idempotent; the log-in is printed on purpose."""

from django.contrib.auth import get_user_model

from .access import officer_group

DEMO_OFFICER = ("officer", "Zairyu-officer-2026!")  # noqa: S105 (demo log-in, printed)


def load_demo_officer() -> bool:
    """Create the demo officer (staff, group "officer") if missing; return whether created."""
    group = officer_group()
    user_model = get_user_model()
    user = user_model.objects.filter(username=DEMO_OFFICER[0]).first()
    created = user is None
    if created:
        user = user_model.objects.create_user(
            DEMO_OFFICER[0], "officer@zairyu.example", DEMO_OFFICER[1], is_staff=True
        )
    if not user.groups.filter(pk=group.pk).exists():
        user.groups.add(group)
    return created


# The other back-office roles (access.BACK_OFFICE_ROLES); log-ins printed on purpose.
DEMO_SUPERVISOR = ("supervisor", "Zairyu-supervisor-2026!")  # noqa: S105
DEMO_HELPDESK = ("helpdesk", "Zairyu-helpdesk-2026!")  # noqa: S105


def load_demo_roles() -> list[str]:
    """Create the demo supervisor and helpdesk log-ins if missing; return what was created."""
    from zairyu.accounts.models import Category

    from .access import HELPDESK_GROUP, SUPERVISOR_GROUP, ensure_roles, role_group

    ensure_roles()
    user_model = get_user_model()
    created = []
    for (username, password), role, category in (
        (DEMO_SUPERVISOR, SUPERVISOR_GROUP, Category.SUPERVISOR),
        (DEMO_HELPDESK, HELPDESK_GROUP, Category.HELPDESK),
    ):
        user = user_model.objects.filter(username=username).first()
        if user is None:
            user = user_model.objects.create_user(
                username,
                f"{username}@zairyu.example",
                password,
                is_staff=True,
                category=category,
            )
            created.append(f"demo {role}")
        group = role_group(role)
        if not user.groups.filter(pk=group.pk).exists():
            user.groups.add(group)
    return created
