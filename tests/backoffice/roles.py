"""Users of every role (SEC-1) and a client signed in as one, for the role tests."""

from django.contrib.auth import get_user_model

from tests.accounts.factories import UserFactory
from tests.backoffice.conftest import verify_second_factor
from tests.filings.factories import make_organization_account, make_resident
from zairyu.accounts.models import Category
from zairyu.backoffice.access import (
    ADMINISTRATOR_GROUP,
    HELPDESK_GROUP,
    OFFICER_GROUP,
    SUPERVISOR_GROUP,
    role_group,
)

BACK_OFFICE = {
    "officer": (OFFICER_GROUP, Category.OFFICER),
    "supervisor": (SUPERVISOR_GROUP, Category.SUPERVISOR),
    "helpdesk": (HELPDESK_GROUP, Category.HELPDESK),
    "administrator": (ADMINISTRATOR_GROUP, Category.ADMINISTRATOR),
}
ROLES = [
    "anonymous",
    "resident",
    "organization",
    "service_a",
    "officer",
    "supervisor",
    "helpdesk",
    "administrator",
]


def make_back_office_user(role: str, *, username: str | None = None, bureau_id=None):
    group, category = BACK_OFFICE[role]
    user = get_user_model().objects.create_user(
        username or f"bo-{role}",
        email=f"{role}@zairyu.example",
        password="Officer-pass-2026!",
        is_staff=True,
        category=category,
        bureau_id=bureau_id,
        language="en",
    )
    user.groups.add(role_group(group))
    return user


def make_role_user(role: str):
    """A user of ``role`` (None for anonymous)."""
    if role == "anonymous":
        return None
    if role == "resident":
        return make_resident()[0]
    if role == "organization":
        return make_organization_account()[0]
    if role == "service_a":
        return UserFactory(category=Category.FOREIGN_NATIONAL, language="en")
    return make_back_office_user(role)


def sign_in_as(client, role: str):
    """Sign ``client`` in as a new user of ``role``; back-office users with a second factor."""
    user = make_role_user(role)
    if user is not None:
        client.force_login(user)
        if user.is_staff:
            verify_second_factor(client, user)
    return user


def make_mail(*, to="taro@example.com", state="sent", attempts=1, last_error="", **extra):
    """A mail in the outbox as the worker would have left it."""
    import uuid

    from zairyu.core import clock
    from zairyu.mail.models import Mail

    now = clock.now()
    return Mail.objects.create(
        created_at=extra.pop("created_at", now),
        to_address=to,
        language="en",
        template=extra.pop("template", "registration_completed"),
        subject=extra.pop("subject", "Registration completed"),
        body=extra.pop("body", "Your auth ID is secret-id-123."),
        message_id=f"<{uuid.uuid4().hex}@zairyu.example>",
        state=state,
        attempts=attempts,
        next_attempt_at=extra.pop("next_attempt_at", now),
        sent_at=now if state == "sent" else None,
        last_error=last_error,
        **extra,
    )
