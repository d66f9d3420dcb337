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
