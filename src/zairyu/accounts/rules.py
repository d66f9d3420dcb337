"""Validity, expiry and lock-out rules for auth IDs and passwords (SPEC ID-7 .. ID-10, ID-14).

One function per rule; each returns a reason code (or None) that services and views turn into
a message saying what happened and where to go.
"""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings

from zairyu.core import clock, days

from .models import BACK_OFFICE_CATEGORIES, AccountState, Category, User

MAX_FAILED_LOGINS = 5  # ID-14
LOCK_DURATION = dt.timedelta(hours=24)  # ID-14 (001 Q52, 002 Q12-7, 004 Q35)
LOGIN_RATE_WINDOW = dt.timedelta(minutes=15)  # SEC-5


@dataclass(frozen=True)
class Refusal:
    code: str


def add_one_year(day: dt.date) -> dt.date:
    """The same day a year later (29 February becomes 28 February): ``core.days.add_years``,
    kept for the callers that say it this way."""
    return days.add_years(day, 1)


def first_validity(now: dt.datetime) -> dt.date:
    """ID-4, ID-5, ID-6: an auth ID set up by its holder's initial password (service A staff,
    filing agents, COE recipients) works for one year from that day in Japan."""
    return add_one_year(now.astimezone(clock.TOKYO).date())


def is_locked(user: User, *, now: dt.datetime | None = None) -> bool:
    """ID-14: five consecutive wrong passwords lock the ID for 24 hours."""
    now = now or clock.now()
    return user.locked_until is not None and user.locked_until > now


def auth_id_valid_until(user: User) -> dt.date | None:
    """The last day the auth ID works, per category (None: no fixed end).

    - Residents (ID-7, 001 Q44): until the period of stay ends; ``valid_until`` follows the
      registry (refreshed when the registry shows a new permission).
    - Organizations in service N (ID-8, 004 Q27, 000 §4): one year after the last use (log-in,
      password or e-mail change). Service O only: one year after the last password change,
      except a JLI that also uses service N, which follows the service-N rule.
    - Service A users (ID-3, ID-4, ID-10): ``valid_until`` — certificate expiry, or one year from
      the initial password extended by approved periodic reports.
    """
    if user.category == Category.ORGANIZATION:
        if user.uses_service_n or not user.uses_service_o:
            anchor = user.last_used_at or user.date_joined
        else:
            anchor = user.password_changed_at or user.date_joined
        return days.add_years(anchor.astimezone(clock.TOKYO).date(), 1)
    if user.category in BACK_OFFICE_CATEGORIES:
        return None
    return user.valid_until


def password_valid_until(user: User) -> dt.date | None:
    """ID-9: a password works for one year from when it was set or changed."""
    if user.category in BACK_OFFICE_CATEGORIES or user.password_changed_at is None:
        return None
    return days.add_years(user.password_changed_at.astimezone(clock.TOKYO).date(), 1)


def login_refusal(user: User, *, today: dt.date | None = None) -> Refusal | None:
    """Why a user who typed the right password still may not sign in, or None."""
    today = today or clock.today()
    if user.state == AccountState.SUSPENDED:
        return Refusal("suspended")
    if user.state == AccountState.DELETED or not user.is_active:
        return Refusal("deleted")
    valid_until = auth_id_valid_until(user)
    if valid_until is not None and today > valid_until:
        return Refusal("auth_id_expired")
    password_until = password_valid_until(user)
    if password_until is not None and today > password_until:
        return Refusal("password_expired")
    return None


def may_unlock_themselves(user: User) -> bool:
    """Residents lift a lock through re-notification (001 Q52); organizations cannot (004 Q35)."""
    return user.category == Category.RESIDENT


def login_rate_limit() -> tuple[int, dt.timedelta]:
    """Failed log-ins allowed per client address per window (SEC-5)."""
    return settings.ZAIRYU_LOGIN_FAILURES_PER_IP, LOGIN_RATE_WINDOW
