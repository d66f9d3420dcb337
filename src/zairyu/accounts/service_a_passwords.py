"""Service A passwords set from one-time links: the initial password of a registration
(002 Q2-5) and the forgotten password (ID-13, Q12-4).

Forgotten password: auth ID and registered e-mail → when both match an active service A user, a
one-time link valid for ``RESET_LINK_LIFETIME`` (1 hour); the page answers the same either way.
A forgotten auth ID is a paper request to the bureau (Q12-5).
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import ngettext

from zairyu.audit.services import audit_record
from zairyu.core import clock, ratelimit
from zairyu.mail.services import mail_queue

from . import rules, services
from .attempts import RATE_WINDOW, count_password_reset_attempt
from .models import SERVICE_A_CATEGORIES, AccountState, Category, ServiceARegistration, User
from .service_a_common import _error
from .service_a_links import LINKS, REGISTRATION_LINK_LIFETIME, RESET_LINK_LIFETIME, link_url

# A mailbox gets at most this many reset mails an hour, however many addresses ask.
RESET_MAILS_PER_AUTH_ID = 3


# --- Passwords from links (Q2-5, ID-13) --------------------------------------------------------


def _password_from_link(
    *,
    purpose: str,
    user: User,
    token: str,
    password: str,
    request: HttpRequest | None,
    after_set,
) -> User:
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        # Checked again under the row lock: of two submissions of one link, one wins.
        if not LINKS[purpose].check_token(locked, token):
            raise _error(None, link_invalid_message(purpose), "link_invalid")
        try:
            services.set_password(
                user=locked,
                password=password,
                actor=locked,
                request=request,
                reason="initial" if purpose == "registration" else "reset",
                notify=purpose == "reset",
            )
        except ValidationError as exc:
            raise ValidationError({"password": exc.error_list}) from exc
        after_set(locked)
    return locked


def link_invalid_message(purpose: str) -> str:
    if purpose == "registration":
        hours = _hours(REGISTRATION_LINK_LIFETIME)
        return ngettext(
            "This link has expired or has already been used. A registration link works once, "
            "for %(hours)d hour. If you have set your password, sign in; otherwise register "
            "again.",
            "This link has expired or has already been used. A registration link works once, "
            "for %(hours)d hours. If you have set your password, sign in; otherwise register "
            "again.",
            hours,
        ) % {"hours": hours}
    hours = _hours(RESET_LINK_LIFETIME)
    return ngettext(
        "This link has expired or has already been used. A password reset link works once, for "
        "%(hours)d hour. Ask for a new one with “Forgot your password?”.",
        "This link has expired or has already been used. A password reset link works once, for "
        "%(hours)d hours. Ask for a new one with “Forgot your password?”.",
        hours,
    ) % {"hours": hours}


def _hours(lifetime: dt.timedelta) -> int:
    return int(lifetime.total_seconds() // 3600)


def service_a_initial_password_set(
    *, user: User, token: str, password: str, request: HttpRequest | None = None
) -> User:
    """Q2-5: set the initial password from the registration link; the completion mail follows."""
    now = clock.now()

    def complete(locked: User) -> None:
        ServiceARegistration.objects.filter(user=locked).update(completed_at=now)
        if locked.category == Category.COE_RECIPIENT:
            locked.valid_until = rules.first_validity(now)
            locked.save(update_fields=["valid_until"])
        audit_record(
            action="account.service_a_registration_completed",
            obj=locked,
            actor=locked,
            after={"valid_until": locked.valid_until},
            request=request,
        )
        mail_queue(
            template="service_a_completed",
            to=locked.email,
            language=locked.language,
            context={"user": locked, "valid_until": rules.auth_id_valid_until(locked)},
            related=locked,
        )

    return _password_from_link(
        purpose="registration",
        user=user,
        token=token,
        password=password,
        request=request,
        after_set=complete,
    )


def service_a_password_reset_request(
    *, auth_id: str, email: str, request: HttpRequest | None = None
) -> None:
    """ID-13: mail a one-time reset link when the auth ID and e-mail match an active service A
    user. Says nothing about whether they matched (the caller shows the same page)."""
    count_password_reset_attempt(request)
    user = User.objects.filter(username=auth_id, category__in=SERVICE_A_CATEGORIES).first()
    eligible = (
        user is not None
        and user.email.strip().casefold() == email.strip().casefold()
        and user.state == AccountState.ACTIVE
        and user.is_active
        and user.has_usable_password()  # an unfinished registration uses its own link
        and rules.login_refusal(user) in (None, rules.Refusal("password_expired"))
    )
    with transaction.atomic():
        if not eligible:
            audit_record(
                action="account.password_reset_unmatched",
                object_type="accounts.user",
                object_id=str(user.pk) if user is not None else "",
                after={"auth_id_known": user is not None},
                request=request,
            )
            return
        if not ratelimit.hit(
            f"password-reset-id:{user.pk}", limit=RESET_MAILS_PER_AUTH_ID, window=RATE_WINDOW
        ):
            audit_record(
                action="account.password_reset_unmatched",
                obj=user,
                after={"reason": "too_many_mails"},
                request=request,
            )
            return
        now = clock.now()
        audit_record(action="account.password_reset_requested", obj=user, request=request)
        mail_queue(
            template="service_a_password_reset",
            to=user.email,
            language=user.language,
            context={
                "user": user,
                "url": link_url(purpose="reset", user=user),
                "expires_at": now + RESET_LINK_LIFETIME,
            },
            related=user,
        )


def service_a_password_reset(
    *, user: User, token: str, password: str, request: HttpRequest | None = None
) -> User:
    """ID-13: set a new password (FMT-2, not one of the last five) from a reset link; mailed."""
    return _password_from_link(
        purpose="reset",
        user=user,
        token=token,
        password=password,
        request=request,
        after_set=lambda locked: None,
    )
