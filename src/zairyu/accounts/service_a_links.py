"""Service A's one-time links (002 Q2-5, ID-13): the registration link that sets the initial
password and the forgotten-password link.

Links are Django password-reset tokens on ``zairyu.core.clock``: they stop working once the
password changes (one-time), after their lifetime, and for any other user. The staff approval
link (``staff_requests``) is the same mechanism with a 30-day life.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.urls import reverse
from django.utils.encoding import force_bytes, force_str
from django.utils.http import base36_to_int, urlsafe_base64_decode, urlsafe_base64_encode

from zairyu.core import clock

from .models import SERVICE_A_CATEGORIES, ServiceARegistration, User

REGISTRATION_LINK_LIFETIME = dt.timedelta(hours=24)
RESET_LINK_LIFETIME = dt.timedelta(hours=1)


# --- One-time links --------------------------------------------------------------------------


class _LinkTokens(PasswordResetTokenGenerator):
    """Django's password-reset tokens, read on ``zairyu.core.clock`` with their own lifetime.

    The hash covers the password hash, so a token dies when the password is set (one-time), and
    the e-mail address, so a link mailed to an old address dies when the address changes.
    """

    def __init__(self, *, purpose: str, lifetime: dt.timedelta):
        super().__init__()
        self.key_salt = f"zairyu.accounts.service_a.{purpose}"
        self.lifetime = lifetime

    def _now(self) -> dt.datetime:
        return clock.now().astimezone(dt.UTC).replace(tzinfo=None)

    def _make_hash_value(self, user, timestamp) -> str:
        return f"{user.pk}{user.password}{timestamp}{user.email}"

    def check_token(self, user, token) -> bool:
        if not token or not super().check_token(user, token):
            return False
        issued = base36_to_int(token.split("-", 1)[0])
        return self._num_seconds(self._now()) - issued <= self.lifetime.total_seconds()


LINKS = {
    "registration": _LinkTokens(purpose="registration", lifetime=REGISTRATION_LINK_LIFETIME),
    "reset": _LinkTokens(purpose="reset", lifetime=RESET_LINK_LIFETIME),
}
LINK_URL_NAMES = {
    "registration": "accounts:service_a_set_password",
    "reset": "accounts:service_a_reset_password",
}


def link_url(*, purpose: str, user: User) -> str:
    """The absolute one-time URL mailed to ``user`` for ``purpose`` (registration or reset)."""
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    token = LINKS[purpose].make_token(user)
    return settings.ZAIRYU_SITE_URL.rstrip("/") + reverse(
        LINK_URL_NAMES[purpose], args=[uidb64, token]
    )


def link_user(*, purpose: str, uidb64: str, token: str) -> User | None:
    """The user a link is for, or None when it is unknown, used, expired or not theirs."""
    try:
        pk = int(force_str(urlsafe_base64_decode(uidb64)))
    except (TypeError, ValueError, OverflowError):
        return None
    user = User.objects.filter(pk=pk, category__in=SERVICE_A_CATEGORIES).first()
    if user is None or not LINKS[purpose].check_token(user, token):
        return None
    if purpose == "registration" and _registration(user) is None:
        return None
    return user


def _registration(user: User) -> ServiceARegistration | None:
    return ServiceARegistration.objects.filter(user=user).first()
